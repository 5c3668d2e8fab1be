import { createHash } from 'node:crypto';
import { BoundedCache } from '../core/cache.js';
import { withDeadline } from '../core/deadline.js';
import { ConfigurationError, StoreUnavailableError } from '../core/errors.js';
import type { SignInRecord } from './session-record.js';

/**
 * Where revocations are kept, shared by every instance of the app: "sessions of this user
 * signed in before T are over", "this Okta session is over", and the `jti`s of logout
 * tokens already used. Three operations that map onto Redis commands one to one (`SET key
 * value PXAT t`, `MGET`, `SET key 1 NX PXAT t`). Keys are hashes: no user id or email is
 * stored in the clear. The default, {@link MemoryRevocationStore}, is for one process.
 *
 * @example
 * ```ts
 * // node-redis 5; example/recipes/logout-redis.ts runs it (docs/logout.md)
 * const revocations: RevocationStore = {
 *   put: async (key, value, expiresAt) => {
 *     await redis.set(key, String(value), { expiration: { type: 'PXAT', value: expiresAt } })
 *   },
 *   get: async (keys) => (await redis.mGet([...keys])).map((v) => (v === null ? undefined : Number(v))),
 *   claim: async (key, expiresAt) =>
 *     (await redis.set(key, '1', { condition: 'NX', expiration: { type: 'PXAT', value: expiresAt } })) === 'OK',
 * }
 * ```
 */
export interface RevocationStore {
  /** Sets `key` to `value` (epoch ms of the revocation) until `expiresAt` (epoch ms), replacing any value. */
  put(key: string, value: number, expiresAt: number): void | Promise<void>;
  /** The values of `keys`, in order; `undefined` (or `null`) where there is none. */
  get(keys: readonly string[]): readonly (number | null | undefined)[] | Promise<readonly (number | null | undefined)[]>;
  /** Records `key` until `expiresAt` unless it is there: `true` the first time, `false` after (a replay). */
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Options of {@link MemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Most entries held at once. Default 100000. */
  maxEntries?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * The default {@link RevocationStore}: in memory, for one process, bounded. Expired entries
 * go as new ones come; when `maxEntries` live entries fill it, a new one is refused with a
 * {@link errors.StoreUnavailableError} (the logout request gets a 5xx and Okta retries)
 * rather than forgetting a revocation or a used `jti`.
 */
export class MemoryRevocationStore implements RevocationStore {
  private readonly entries = new Map<string, { value: number; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError('maxEntries must be a positive whole number');
    }
    this.now = options.now ?? Date.now;
  }

  /** How many entries are held now (expired ones included until they are swept). */
  get size(): number {
    return this.entries.size;
  }

  put(key: string, value: number, expiresAt: number): void {
    this.makeRoom(key);
    this.entries.set(key, { value, expiresAt });
  }

  get(keys: readonly string[]): (number | undefined)[] {
    const now = this.now();
    return keys.map((key) => {
      const entry = this.entries.get(key);
      return entry !== undefined && entry.expiresAt > now ? entry.value : undefined;
    });
  }

  claim(key: string, expiresAt: number): boolean {
    const [held] = this.get([key]);
    if (held !== undefined) return false;
    this.put(key, 1, expiresAt);
    return true;
  }

  private makeRoom(key: string): void {
    if (this.entries.has(key) || this.entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [name, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(name);
    if (this.entries.size >= this.maxEntries) {
      throw new StoreUnavailableError(`The revocation store is full (${this.maxEntries} live entries)`);
    }
  }
}

/** What a logout ends: a user's sessions at an issuer, those of an email at an Okta org, or one Okta session. */
export type Revocation =
  | { kind: 'subject'; iss: string; sub: string }
  | { kind: 'email'; org: string; email: string }
  | { kind: 'session'; iss: string; sid: string };

/** The store key of a revocation: a hash of what it names, so that the store holds no user data. */
export function revocationKey(revocation: Revocation): string {
  const named: [tag: string, ...parts: string[]] =
    revocation.kind === 'subject'
      ? ['u', revocation.iss, revocation.sub]
      : revocation.kind === 'email'
        ? ['e', new URL(revocation.org).origin, revocation.email.trim().toLowerCase()]
        : ['s', revocation.iss, revocation.sid];
  return `okta:rv:${named[0]}:${hash(named.join('\n'))}`;
}

/** The store key of a used logout token's `jti` (`kind` tells the receivers apart). */
export function tokenKey(kind: string, iss: string, jti: string): string {
  return `okta:jti:${kind}:${hash(`${iss}\n${jti}`)}`;
}

/** The revocations that would end the session of `record`: its user, its email at the org, its Okta session. */
export function revocationsOf(record: SignInRecord): Revocation[] {
  const found: Revocation[] = [{ kind: 'subject', iss: record.iss, sub: record.sub }];
  const email = record.claims.email;
  if (typeof email === 'string' && email !== '' && URL.canParse(record.iss)) {
    found.push({ kind: 'email', org: record.iss, email });
  }
  if (record.sid !== undefined && record.sid !== '') found.push({ kind: 'session', iss: record.iss, sid: record.sid });
  return found;
}

/** How {@link Revocations} uses its store. */
export interface RevocationSettings {
  store: RevocationStore;
  /** Milliseconds a revocation is kept: at least as long as a session can last. */
  keepFor: number;
  /** Milliseconds an answer of the store about one session is reused on this instance (0: never). */
  cacheFor: number;
  /** Milliseconds to wait for the store before failing closed (503). */
  timeout: number;
  now: () => number;
}

/**
 * Records revocations and answers whether a session is revoked, over a {@link RevocationStore}:
 * each call bounded by `timeout` (a slow or failed store is a {@link errors.StoreUnavailableError},
 * 503, never a pass), each session's answer reused for `cacheFor` on this instance.
 */
export class Revocations {
  private readonly answers: BoundedCache<string, boolean>;

  constructor(private readonly settings: RevocationSettings) {
    this.answers = new BoundedCache({ maxEntries: 10_000, ttl: settings.cacheFor, now: settings.now });
  }

  /** Records that `revocation` ends every session it names that was signed in until now. */
  async revoke(revocation: Revocation): Promise<void> {
    const now = this.settings.now();
    await this.bounded(() => this.settings.store.put(revocationKey(revocation), now, now + this.settings.keepFor));
    this.answers.clear();
  }

  /** `true` the first time a logout token's `jti` is seen (by any instance), `false` for a replay. */
  async firstUse(kind: string, iss: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.bounded(() => this.settings.store.claim(tokenKey(kind, iss, jti), expiresAt));
  }

  /** Whether a revocation recorded after this session's sign-in here names it. */
  async isRevoked(record: SignInRecord): Promise<boolean> {
    const keys = revocationsOf(record).map(revocationKey);
    const cacheKey = `${record.signedInAt}\n${keys.join('\n')}`;
    const cached = this.settings.cacheFor > 0 ? this.answers.get(cacheKey) : undefined;
    if (cached !== undefined) return cached;
    const values = await this.bounded(() => this.settings.store.get(keys));
    const revoked = values.some((at) => typeof at === 'number' && Number.isFinite(at) && record.signedInAt <= at);
    if (this.settings.cacheFor > 0) this.answers.set(cacheKey, revoked);
    return revoked;
  }

  /** One store call: its exceptions, rejections and delays beyond `timeout` all become a StoreUnavailableError. */
  private async bounded<T>(call: () => T | PromiseLike<T>): Promise<T> {
    try {
      const work = call();
      return await withDeadline(
        work,
        this.settings.timeout,
        () => new StoreUnavailableError('The revocation store did not answer in time'),
      );
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError('The revocation store failed', { cause: err });
    }
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
