import { createHash } from 'node:crypto';
import type { OktaAccessTokenClaims } from './access-token.js';

/**
 * JWT access tokens this strategy has verified, until they expire: an API sees the same
 * token on every request of a client for up to an hour, and its signature, issuer,
 * audience, type and client do not change. Only the clock does: a token is looked up
 * again only while `exp` (with the tolerance) has not passed. Keyed by a SHA-256 hash,
 * so no token is kept; bounded, the oldest entry going first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, OktaAccessTokenClaims>();

  constructor(
    private readonly maxEntries: number,
    private readonly clockTolerance: number,
    private readonly now: () => number,
  ) {}

  /** The claims of a token verified earlier and not expired since, as a fresh copy. */
  get(token: string): { key: string; claims: OktaAccessTokenClaims | undefined } {
    const key = createHash('sha256').update(token).digest('base64url');
    const claims = this.entries.get(key);
    if (claims === undefined) return { key, claims: undefined };
    if (this.now() / 1000 - this.clockTolerance >= claims.exp) {
      this.entries.delete(key);
      return { key, claims: undefined };
    }
    return { key, claims: copy(claims) };
  }

  set(key: string, claims: OktaAccessTokenClaims): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, copy(claims));
  }
}

/** Verify functions may change what they are given; the cached claims must stay as verified. */
function copy(claims: OktaAccessTokenClaims): OktaAccessTokenClaims {
  return { ...claims, scp: [...claims.scp] };
}
