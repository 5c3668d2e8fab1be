import { ConfigurationError } from '../core/errors.js';
import { ReplayStoreFullError } from '../core/errors.js';

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
   * `false` if it was: the proof is a replay. A rejection, or no answer within the
   * strategy's `timeout`, refuses the request (503, fail closed). `key` is the RFC 7638
   * thumbprint of the proof's key (the token's `cnf.jkt`): a store may bound the entries
   * one key holds, so that the holder of one token cannot fill it for everyone.
   */
  claim(id: string, expiresAt: number, key: string): boolean | Promise<boolean>;
}

/** Options of {@link MemoryDPoPReplayStore}. */
export interface MemoryDPoPReplayStoreOptions {
  /** Most proofs remembered at once. Default 100000 (a few MB: about 800 DPoP requests per second with the default window). */
  maxEntries?: number | undefined;
  /**
   * Most proofs of one key (one DPoP-bound token holder) remembered at once; beyond it that
   * key's proofs are refused (503) until some leave their window, and other keys are not
   * affected. Default a tenth of `maxEntries`.
   */
  maxEntriesPerKey?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * The default {@link DPoPReplayStore}: in memory, for one process, bounded. Expired
 * entries are dropped as new ones come; when `maxEntries` proofs are all still inside
 * their window, a new proof is refused with a {@link ReplayStoreFullError} (503) rather
 * than forgetting one that could then be replayed. One key may hold at most
 * `maxEntriesPerKey` of them, so one token holder cannot lock every other client out.
 *
 * @example
 * ```ts
 * new OktaBearerStrategy({ ...options, dpopReplayStore: new MemoryDPoPReplayStore({ maxEntries: 500_000 }) }, verify)
 * ```
 */
export class MemoryDPoPReplayStore implements DPoPReplayStore {
  private readonly seen = new Map<string, { expiresAt: number; key: string }>();
  /** Live entries per key. */
  private readonly perKey = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxEntriesPerKey: number;
  private readonly now: () => number;

  constructor(options: MemoryDPoPReplayStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError('maxEntries must be a positive whole number');
    }
    this.maxEntriesPerKey = options.maxEntriesPerKey ?? Math.max(1, Math.ceil(this.maxEntries / 10));
    if (!Number.isInteger(this.maxEntriesPerKey) || this.maxEntriesPerKey < 1) {
      throw new ConfigurationError('maxEntriesPerKey must be a positive whole number');
    }
    this.now = options.now ?? Date.now;
  }

  /** How many proofs are remembered now. */
  get size(): number {
    return this.seen.size;
  }

  claim(id: string, expiresAt: number, key = ''): boolean {
    const now = this.now();
    const known = this.seen.get(id);
    if (known !== undefined && known.expiresAt > now) return false;
    // Entries come in roughly in expiry order: drop the expired ones at the front.
    for (const [stale, entry] of this.seen) {
      if (entry.expiresAt > now) break;
      this.forget(stale, entry.key);
    }
    // No scan of the whole store when it is full: that would cost every request O(maxEntries)
    // exactly when the API is busiest. An expired entry behind a live one waits its turn.
    if (this.seen.size >= this.maxEntries) {
      throw new ReplayStoreFullError(
        `The DPoP replay store holds ${this.maxEntries} proofs still inside their window; ` +
          'new proofs are refused until some expire (raise maxEntries or use a shared store)',
      );
    }
    const held = this.perKey.get(key) ?? 0;
    if (held >= this.maxEntriesPerKey) {
      throw new ReplayStoreFullError(
        `This DPoP key has ${this.maxEntriesPerKey} proofs inside their window (maxEntriesPerKey); ` +
          'its new proofs are refused until some expire',
      );
    }
    if (known !== undefined) this.forget(id, known.key);
    this.seen.set(id, { expiresAt, key });
    this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
    return true;
  }

  private forget(id: string, key: string): void {
    this.seen.delete(id);
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left > 0) this.perKey.set(key, left);
    else this.perKey.delete(key);
  }
}
