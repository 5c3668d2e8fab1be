import { ConfigurationError } from '../errors.js';
import { ReplayStoreFullError } from './errors.js';

/**
 * Where the `jti`s of accepted DPoP proofs are remembered while their time window lasts,
 * so that a proof is accepted once (RFC 9449 §11.1). Several instances of an API must share
 * one store (e.g. Redis `SET key 1 NX PX ttl`), or a proof refused by one is accepted by
 * another.
 *
 * @example
 * ```ts
 * const dpopReplayStore: DPoPReplayStore = {
 *   async claim(id, expiresAt) {
 *     return (await redis.set(`dpop:${id}`, '1', { NX: true, PXAT: expiresAt })) === 'OK'
 *   },
 * }
 * ```
 */
export interface DPoPReplayStore {
  /**
   * Records `id` (a 43-character base64url hash of the key thumbprint and the proof's `jti`)
   * until `expiresAt` (epoch milliseconds). Resolves `true` if it was not recorded yet,
   * `false` if it was: the proof is a replay. A rejection fails the request with an error.
   */
  claim(id: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Options of {@link MemoryDPoPReplayStore}. */
export interface MemoryDPoPReplayStoreOptions {
  /** Most proofs remembered at once. Default 100000 (a few MB: about 800 DPoP requests per second with the default window). */
  maxEntries?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * The default {@link DPoPReplayStore}: in memory, for one process, bounded. Expired
 * entries are dropped as new ones come; when `maxEntries` proofs are all still inside
 * their window, a new proof is refused with a {@link ReplayStoreFullError} (503) rather
 * than forgetting one that could then be replayed.
 *
 * @example
 * ```ts
 * new OktaBearerStrategy({ ...options, dpopReplayStore: new MemoryDPoPReplayStore({ maxEntries: 500_000 }) }, verify)
 * ```
 */
export class MemoryDPoPReplayStore implements DPoPReplayStore {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDPoPReplayStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError('maxEntries must be a positive whole number');
    }
    this.now = options.now ?? Date.now;
  }

  /** How many proofs are remembered now. */
  get size(): number {
    return this.seen.size;
  }

  claim(id: string, expiresAt: number): boolean {
    const now = this.now();
    const known = this.seen.get(id);
    if (known !== undefined && known > now) return false;
    // Entries come in roughly in expiry order: drop the expired ones at the front.
    for (const [key, expiry] of this.seen) {
      if (expiry > now) break;
      this.seen.delete(key);
    }
    // No scan of the whole store when it is full: that would cost every request O(maxEntries)
    // exactly when the API is busiest. An expired entry behind a live one waits its turn.
    if (this.seen.size >= this.maxEntries) {
      throw new ReplayStoreFullError(
        `The DPoP replay store holds ${this.maxEntries} proofs still inside their window; ` +
          'new proofs are refused until some expire (raise maxEntries or use a shared store)',
      );
    }
    this.seen.delete(id);
    this.seen.set(id, expiresAt);
    return true;
  }
}
