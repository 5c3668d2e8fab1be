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

/** Where the published form of a key is read: the key store. */
export interface PublishedKeys {
  published(kid: string | undefined): string | undefined;
}

/**
 * JWT access tokens this strategy has verified, until they expire: an API sees the same
 * token on every request of a client for up to an hour, and its signature, issuer,
 * audience, type and client do not change. Only the clock and the key set do: a verdict is
 * used only while `exp` (with the tolerance) has not passed and the key that verified it is
 * still published the same (a key removed from the set takes its verdicts with it). Keyed
 * by a SHA-256 hash, so no token is kept; bounded, the oldest entry going first.
 *
 * A token is remembered from its second sight on. An API whose every request brings a new
 * token (many users, each seen once) would otherwise pay, per request, a hash, a copy and an
 * insertion that evicts an entry never used. So the first sight of a token costs a few
 * characters read into a table of fingerprints (not a hash of the token, not a secret: a
 * fingerprint that matches by chance only sends a token down the second-sight path, where
 * the SHA-256 decides); the token is verified in full, as on every miss.
 */
export class VerifiedTokens {
  private readonly entries: BoundedCache<string, Verdict>;
  /** Fingerprints of tokens seen, one per slot: a direct-mapped table, allocated once. */
  private readonly seen: Int32Array;

  constructor(
    private readonly maxEntries: number,
    private readonly clockTolerance: number,
    private readonly now: () => number,
  ) {
    this.entries = new BoundedCache({ maxEntries });
    // 16 slots per entry: a remembered client's slot outlives about a thousand new tokens.
    let slots = 1024;
    while (slots < maxEntries * 16 && slots < 2 ** 20) slots *= 2;
    this.seen = new Int32Array(maxEntries === 0 ? 0 : slots);
  }

  /**
   * The claims of a token verified earlier, not expired since, whose key is still published
   * as it was, as a fresh copy. `key` is the token's SHA-256, to {@link set} its verdict
   * under, from its second sight on; undefined on a first sight (or with size 0): nothing is
   * then remembered.
   */
  get(token: string, keys: PublishedKeys): { key: string | undefined; claims: OktaAccessTokenClaims | undefined } {
    if (this.seen.length === 0 || this.firstSight(token)) return { key: undefined, claims: undefined };
    const key = createHash('sha256').update(token).digest('base64url');
    const verdict = this.entries.get(key);
    if (verdict === undefined) return { key, claims: undefined };
    if (this.now() / 1000 - this.clockTolerance >= verdict.claims.exp || keys.published(verdict.kid) !== verdict.key) {
      this.entries.delete(key);
      return { key, claims: undefined };
    }
    return { key, claims: copy(verdict.claims) };
  }

  /** Remembers the claims of a token just verified: they are the caller's, so the cache keeps its own copy. */
  set(key: string, claims: OktaAccessTokenClaims, kid: string | undefined, published: string | undefined): void {
    if (this.maxEntries === 0 || published === undefined) return;
    this.entries.set(key, { claims: copy(claims), kid, key: published });
  }

  /** Whether this token's fingerprint is not in its slot (and puts it there). */
  private firstSight(token: string): boolean {
    // FNV-1a over the last 32 characters: a JWT's signature, random for every token issued.
    let fingerprint = 0x811c9dc5;
    for (let i = Math.max(0, token.length - 32); i < token.length; i++) {
      fingerprint = Math.imul(fingerprint ^ token.charCodeAt(i), 0x01000193);
    }
    const slot = fingerprint & (this.seen.length - 1);
    if (this.seen[slot] === fingerprint) return false;
    this.seen[slot] = fingerprint;
    return true;
  }
}

/** Verify functions may change what they are given; the cached claims must stay as verified. */
function copy(claims: OktaAccessTokenClaims): OktaAccessTokenClaims {
  return { ...claims, scp: [...claims.scp] };
}
