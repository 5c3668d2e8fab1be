/** The issuers' signing keys. */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'oidc-provider';

/**
 * A fresh RS256 key pair as a private JWK, its `kid` the key's thumbprint. Each issuer has
 * its own, so a token of one issuer never verifies with another's keys (as in Okta).
 */
export async function createSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

/** The public half of an RS256 key made by `createSigningKey`, as its `/v1/keys` publishes it. */
export function publicJwk({ kty, n, e, kid, alg, use }: JWK): JWK {
  return { kty, n, e, kid, alg, use };
}
