import { createHash, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ConfigurationError } from '../core/errors.js';
import type { HttpAnswer } from '../core/http.js';
import { isObject } from '../core/options.js';
import { randomToken } from '../core/random.js';

/** A DPoP key pair: give your own (e.g. to share it between instances) or let one be generated. */
export interface DPoPKeyPair {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
}

/**
 * Makes DPoP proofs (RFC 9449) for one client: a `dpop+jwt` signed with the key pair
 * (ES256 when generated), carrying `htm`, `htu`, `iat`, a unique `jti`, the server's
 * nonce once it asked for one, and `ath` when presenting an access token.
 */
export class DPoPProver {
  private material: Promise<{ privateKey: CryptoKey; jwk: JWK; alg: string }> | undefined;
  private readonly nonces = new Map<string, string>();

  constructor(
    private readonly keys: true | DPoPKeyPair,
    private readonly now: () => number,
  ) {
    if (keys !== true && !isKeyPair(keys)) {
      throw new ConfigurationError('dpop must be true or a { privateKey, publicKey } key pair');
    }
  }

  /** A proof for `method url`; with `accessToken`, bound to it by `ath`. */
  async proof(method: string, url: string, accessToken?: string): Promise<string> {
    const { privateKey, jwk, alg } = await (this.material ??= this.load());
    const target = new URL(url);
    const htu = target.origin + target.pathname;
    const claims: Record<string, string> = { htm: method, htu };
    const nonce = this.nonces.get(target.origin);
    if (nonce !== undefined) claims.nonce = nonce;
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk })
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setJti(randomToken(16))
      .sign(privateKey);
  }

  /**
   * Remembers a `DPoP-Nonce` the server sent, and says whether the answer asked for a
   * retry with it (`use_dpop_nonce`, as a token endpoint 400 or a resource 401).
   */
  observe(url: string, answer: HttpAnswer): boolean {
    const nonce = answer.headers.get('dpop-nonce');
    if (nonce === null) return false;
    const origin = new URL(url).origin;
    const changed = this.nonces.get(origin) !== nonce;
    this.nonces.set(origin, nonce);
    if (!changed) return false;
    if (answer.status === 401) return (answer.headers.get('www-authenticate') ?? '').includes('use_dpop_nonce');
    if (answer.status === 400) return /"error"\s*:\s*"use_dpop_nonce"/.test(answer.text);
    return false;
  }

  /** The public key's JWK, e.g. to compute its thumbprint. */
  async publicJwk(): Promise<JWK> {
    return (await (this.material ??= this.load())).jwk;
  }

  private async load(): Promise<{ privateKey: CryptoKey; jwk: JWK; alg: string }> {
    const pair = this.keys === true ? await generateKeyPair('ES256', { extractable: false }) : this.keys;
    const exported = await exportJWK(pair.publicKey);
    const { kty, crv } = exported;
    const alg = kty === 'RSA' ? 'RS256' : crv === 'P-384' ? 'ES384' : crv === 'Ed25519' ? 'EdDSA' : 'ES256';
    return { privateKey: pair.privateKey, jwk: publicMembers(exported), alg };
  }
}

/** The members that name the public key, those its type has (no `y` for Ed25519): nothing else of the export goes in a proof. */
function publicMembers(exported: JWK): JWK {
  const names = exported.kty === 'RSA' ? (['kty', 'n', 'e'] as const) : (['kty', 'crv', 'x', 'y'] as const);
  const jwk: Record<string, string> = {};
  for (const name of names) {
    const value = exported[name];
    if (value !== undefined) jwk[name] = value;
  }
  return jwk;
}

/** Whether `dpop` is a key pair: from JavaScript, it may be anything. */
function isKeyPair(value: unknown): boolean {
  if (!isObject(value)) return false;
  const { privateKey, publicKey } = value as Partial<DPoPKeyPair>;
  return Boolean(privateKey) && Boolean(publicKey);
}
