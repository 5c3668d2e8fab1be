import { createHash } from 'node:crypto';
import { BoundedCache } from '../core/cache.js';
import type { OktaAccessTokenClaims } from './access-token.js';

/** A verdict: the claims, and the key that verified them as it was published. */
interface Verdict {
  claims: OktaAccessTokenClaims;
  kid: string | undefined;
  /** The key's published JSON when the token was verified (see `KeyStore.published`). */
  key: string | undefined;
}

/**
 * JWT access tokens this strategy has verified, until they expire: an API sees the same
 * token on every request of a client for up to an hour, and its signature, issuer,
 * audience, type and client do not change. Only the clock and the key set do: a verdict is
 * used only while `exp` (with the tolerance) has not passed and the key that verified it is
 * still published the same (a key removed from the set takes its verdicts with it). Keyed
 * by a SHA-256 hash, so no token is kept; bounded, the oldest entry going first.
 */
export class VerifiedTokens {
  private readonly entries: BoundedCache<string, Verdict>;

  constructor(
    private readonly maxEntries: number,
    private readonly clockTolerance: number,
    private readonly now: () => number,
  ) {
    this.entries = new BoundedCache({ maxEntries });
  }

  /**
   * The claims of a token verified earlier, not expired since, whose key `published` still
   * gives as it was, as a fresh copy.
   */
  get(
    token: string,
    published: (kid: string | undefined) => string | undefined,
  ): { key: string; claims: OktaAccessTokenClaims | undefined } {
    const key = createHash('sha256').update(token).digest('base64url');
    const verdict = this.entries.get(key);
    if (verdict === undefined) return { key, claims: undefined };
    if (this.now() / 1000 - this.clockTolerance >= verdict.claims.exp || published(verdict.kid) !== verdict.key) {
      this.entries.delete(key);
      return { key, claims: undefined };
    }
    return { key, claims: copy(verdict.claims) };
  }

  set(key: string, claims: OktaAccessTokenClaims, kid: string | undefined, published: string | undefined): void {
    if (this.maxEntries === 0 || published === undefined) return;
    this.entries.set(key, { claims: copy(claims), kid, key: published });
  }
}

/** Verify functions may change what they are given; the cached claims must stay as verified. */
function copy(claims: OktaAccessTokenClaims): OktaAccessTokenClaims {
  return { ...claims, scp: [...claims.scp] };
}
