/**
 * The package's one bounded cache: a `Map` that holds at most `maxEntries`, dropping the
 * entry written longest ago to make room (writing a key again moves it to the back), and,
 * with `ttl`, forgetting an entry that many milliseconds after it was written. Every cache
 * whose keys come from requests (hosts, tokens, proof headers) is one of these, so that
 * none can grow without bound.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(options: { maxEntries: number; ttl?: number | undefined; now?: (() => number) | undefined }) {
    this.maxEntries = options.maxEntries;
    this.ttl = options.ttl ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, unless absent or expired (an expired entry is dropped). */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined || this.entries.has(key);
  }

  /** Writes `value`, for `ttl` milliseconds (default: the cache's), dropping the oldest entry if full. */
  set(key: K, value: V, ttl = this.ttl): this {
    this.entries.delete(key);
    if (this.maxEntries <= 0) return this;
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, expiresAt: ttl === Number.POSITIVE_INFINITY ? ttl : this.now() + ttl });
    return this;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
