/** Signing the provider's own JWTs (logout tokens, Universal Logout requests) with an issuer's key. */
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK, type JWK as JoseJWK, type JWTPayload } from 'jose';
import type { JWK } from 'oidc-provider';

/**
 * An RS256 JWT signed with an issuer's private key (the key of its ID tokens, published at
 * its `/v1/keys`), with `typ`, `kid`, `iat`, `jti` and an `exp` `ttl` seconds ahead.
 */
export async function signJwt(key: JWK, typ: string, claims: JWTPayload, ttl: number): Promise<string> {
  const privateKey = await importJWK(key as JoseJWK, 'RS256');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ })
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${ttl}s`)
    .sign(privateKey);
}
