import type { KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';

type VerificationKey = Awaited<ReturnType<JWTVerifyGetKey>>;
import { KeySetUnavailableError, RateLimitError, ResponseError, type OktaError } from './errors.js';
import { failureFrom, parseJSONObject } from './answers.js';
import { send, type HttpSettings } from './http.js';
import { events } from './diagnostics.js';
import { tellRotation, traceKeySetFetch } from './okta-events.js';

export interface KeyStoreOptions {
  /** Least time between two fetches (ms): after an unknown `kid`, and the first wait after a failed fetch. */
  cooldown: number;
  /** After this long (ms) the next verification refetches; the old keys serve if that fails. */
  maxAge: number;
  now: () => number;
}

/** The longest wait after failed fetches in a row, unless `cooldown` is longer. */
const MAX_FAILURE_BACKOFF = 5 * 60_000;
/**
 * How old the key set must be before an unknown `kid` may refetch it (unless the cooldown is
 * shorter): a set fetched a moment ago already has every key Okta publishes.
 */
const MIN_KEY_SET_AGE = 5_000;
/** NIST SP 800-131A: RSA signatures need a modulus of 2048 bits or more. */
export const MIN_RSA_BITS = 2048;

/**
 * Why no key verifies a token's header: no key has its `kid` (`unknown-kid`), several have it
 * (`ambiguous-kid`), it has no `kid` and several keys could match (`no-kid`; Okta always
 * sends one), or the key is an RSA key under {@link MIN_RSA_BITS} bits (`too-small`). Neutral:
 * the JWT pipeline (`core/jwt.ts`) turns it into its caller's refusal.
 */
export class KeyError extends Error {
  constructor(readonly reason: 'unknown-kid' | 'ambiguous-kid' | 'no-kid' | 'too-small') {
    super(`no key for this token: ${reason}`);
  }
}

/**
 * Okta's signing keys (`/v1/keys`), fetched on first use and cached. jose picks and
 * imports the key; this class only decides when to (re)fetch:
 * - an unknown `kid` refetches once when the set is more than 5 s old, and at most once
 *   per cooldown (Okta rotates keys, and a flood of forged `kid`s must not turn into a
 *   flood of requests to Okta);
 * - keys older than `maxAge` are refreshed, but kept if Okta cannot be reached;
 * - a failed fetch is not retried before a wait that starts at the cooldown and doubles
 *   with each failure in a row (at most 5 minutes), or until a 429's rate limit resets.
 *   With no keys cached, verifications meanwhile fail at once with a
 *   {@link KeySetUnavailableError}, without a request to Okta.
 */
export class KeyStore {
  private keySet: JWTVerifyGetKey | undefined;
  /** Keys jose already picked and imported from the current set, by `alg` and `kid`. */
  private readonly picked = new Map<string, Promise<VerificationKey>>();
  /** The same keys once picked and checked, for {@link cachedKey}. */
  private readonly ready = new Map<string, VerificationKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  /** When an unknown `kid` last caused a fetch. */
  private kidFetchAt = Number.NEGATIVE_INFINITY;
  /** Failed fetches since the last success, and when the next fetch may be tried. */
  private failures = 0;
  private retryAt = Number.NEGATIVE_INFINITY;
  private lastFailure: unknown;
  private inFlight: Promise<void> | undefined;
  /** Each key of the current set as published (its JSON), by `kid` (`''`: the only key of a set without kids). */
  private publishedKeys = new Map<string, string>();
  private keyCount = 0;

  constructor(
    private readonly http: HttpSettings,
    private readonly url: string,
    private readonly options: KeyStoreOptions,
  ) {}

  /** The key that verifies a token with this protected header (its `alg` and `kid`). */
  async getKey(header: ProtectedHeaderParameters): Promise<VerificationKey> {
    const now = this.options.now();
    if (!this.keySet) {
      if (now < this.retryAt) throw this.unavailable(now);
      await this.refresh('first-use');
    } else if (now - this.fetchedAt > this.options.maxAge && this.mayFetch(now)) {
      await this.refresh('max-age').catch(() => undefined);
    }
    try {
      return await this.pick(header);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      // A fetch already under way (another request's unknown kid, a refresh) may bring the
      // key: wait for it rather than refuse a burst of tokens signed with a new key.
      if (this.inFlight !== undefined) {
        await this.inFlight.catch(() => undefined);
        return this.pick(header);
      }
      const now = this.options.now();
      if (!this.mayFetchForKid(now)) throw new KeyError('unknown-kid');
      this.kidFetchAt = now;
      await this.refresh('unknown-kid');
      return this.pick(header);
    }
  }

  /**
   * The published form (JSON) of the current set's key with this `kid`, or undefined when
   * the set has no such key (any more). A verdict kept about a token stays good only while
   * the key that signed it is still published the same.
   */
  published(kid: string | undefined): string | undefined {
    return this.publishedKeys.get(kid ?? '');
  }

  /**
   * The key for this header when it was picked and checked before and the set is not due
   * for a refresh: no fetch and no await, the common case. Otherwise undefined: use {@link getKey}.
   */
  cachedKey(header: ProtectedHeaderParameters): VerificationKey | undefined {
    if (this.options.now() - this.fetchedAt > this.options.maxAge) return undefined;
    return this.ready.get(`${String(header.alg)} ${header.kid ?? ''}`);
  }

  /** Fetches the key set now (waiting for a fetch under way) and returns how many keys it has. */
  async load(): Promise<number> {
    await this.refresh('check');
    return this.keyCount;
  }

  /** Drops cached keys (for tests and for apps that learn of a rotation out of band). */
  clear(): void {
    this.keySet = undefined;
    this.publishedKeys = new Map();
    this.picked.clear();
    this.ready.clear();
    this.fetchedAt = Number.NEGATIVE_INFINITY;
    this.attemptedAt = Number.NEGATIVE_INFINITY;
    this.kidFetchAt = Number.NEGATIVE_INFINITY;
    this.failures = 0;
    this.retryAt = Number.NEGATIVE_INFINITY;
    this.lastFailure = undefined;
  }

  private mayFetch(now: number): boolean {
    return now - this.attemptedAt >= this.options.cooldown && now >= this.retryAt;
  }

  /**
   * An unknown `kid` refetches once the current set is a few seconds old, however recently
   * it was fetched for another reason (first use, `maxAge`): a key rotated just after that
   * fetch is followed at once rather than refused for a cooldown. Unknown kids refetch at
   * most once per cooldown between them, so that a flood of forged kids costs Okta one
   * request per cooldown; a failing Okta waits for its backoff.
   */
  private mayFetchForKid(now: number): boolean {
    const settled = Math.min(MIN_KEY_SET_AGE, this.options.cooldown);
    return now - this.kidFetchAt >= this.options.cooldown && now - this.attemptedAt >= settled && now >= this.retryAt;
  }

  /**
   * Picks the key with jose, once per `alg` and `kid` for the current set: jose's key set
   * lookup and key import cost more than the signature check itself.
   */
  private async pick(header: ProtectedHeaderParameters): Promise<VerificationKey> {
    const id = `${String(header.alg)} ${header.kid ?? ''}`;
    let key = this.picked.get(id);
    if (key === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- getKey loads the set before it picks; a clear() in between fails the lookup like any other error
      key = Promise.resolve(this.keySet!(header as Parameters<JWTVerifyGetKey>[0], { payload: '', signature: '' }));
      this.picked.set(id, key);
      key.catch(() => this.picked.delete(id));
    }
    let picked: VerificationKey;
    try {
      picked = await key;
    } catch (err) {
      if (err instanceof joseErrors.JWKSMultipleMatchingKeys) {
        // Okta always sends a `kid` that names one key; we refuse rather than try every key.
        throw new KeyError(header.kid === undefined ? 'no-kid' : 'ambiguous-kid');
      }
      throw err;
    }
    const bits = rsaModulusBits(picked);
    if (bits !== undefined && bits < MIN_RSA_BITS) {
      throw new KeyError('too-small');
    }
    // Only while this set is current: a refresh in between cleared `picked` and made it stale.
    if (this.picked.get(id) === key) this.ready.set(id, picked);
    return picked;
  }

  private refresh(reason: 'first-use' | 'max-age' | 'unknown-kid' | 'check'): Promise<void> {
    const fetch = (): Promise<void> => this.fetchKeys();
    this.inFlight ??= (
      events.keySetFetch.hasSubscribers ? traceKeySetFetch(this.url, reason, fetch, () => this.keyCount) : fetch()
    ).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    // Count the attempt even if it fails, so the cooldown also protects a failing Okta.
    this.attemptedAt = this.options.now();
    const before = this.publishedKeys;
    try {
      ({ keySet: this.keySet, published: this.publishedKeys } = await this.download());
    } catch (err) {
      this.failed(err);
      throw err;
    }
    if (events.keyRotation.hasSubscribers) tellRotation(this.url, before, this.publishedKeys);
    this.picked.clear();
    this.ready.clear();
    this.fetchedAt = this.options.now();
    this.failures = 0;
    this.retryAt = Number.NEGATIVE_INFINITY;
    this.lastFailure = undefined;
  }

  private async download(): Promise<{ keySet: JWTVerifyGetKey; published: Map<string, string> }> {
    const what = 'keys endpoint';
    const answer = await send(this.http, this.url, { method: 'GET', headers: { accept: 'application/json' } }, what);
    if (answer.status !== 200) throw failureFrom(answer, what, [], this.options.now());
    const body = parseJSONObject(answer, what);
    let keySet: JWTVerifyGetKey;
    try {
      keySet = createLocalJWKSet(body as unknown as JSONWebKeySet);
    } catch {
      throw new ResponseError(`Okta's ${what} answered with a malformed key set`, answer.status);
    }
    const keys = (body.keys as unknown[]).filter((k): k is Record<string, unknown> => k !== null && typeof k === 'object');
    const published = new Map<string, string>();
    for (const key of keys) if (typeof key.kid === 'string') published.set(key.kid, JSON.stringify(key));
    const [first] = keys;
    if (keys.length === 1 && typeof first?.kid !== 'string') published.set('', JSON.stringify(first));
    this.keyCount = keys.length;
    return { keySet, published };
  }

  /** Sets when the next fetch may be tried: the cooldown, doubled per failure in a row, or the rate limit's reset. */
  private failed(err: unknown): void {
    const now = this.options.now();
    const cap = Math.max(this.options.cooldown, MAX_FAILURE_BACKOFF);
    let wait = Math.min(this.options.cooldown * 2 ** this.failures, cap);
    const reset = err instanceof RateLimitError ? err.rateLimit.reset?.getTime() : undefined;
    if (reset !== undefined) wait = Math.max(wait, Math.min(reset - now, cap));
    this.failures++;
    this.retryAt = now + wait;
    this.lastFailure = err;
  }

  private unavailable(now: number): OktaError {
    const seconds = Math.ceil((this.retryAt - now) / 1000);
    const failures = this.failures === 1 ? 'failed' : `failed ${this.failures} times in a row`;
    return new KeySetUnavailableError(
      `Okta's keys endpoint ${failures} and no keys are cached; ID tokens cannot be checked, ` +
        `and the key set is not asked for again for ${seconds} s (retry after ${new Date(this.retryAt).toISOString()})`,
      new Date(this.retryAt),
      { cause: this.lastFailure },
    );
  }
}

/** The modulus length of an RSA key, or undefined for other keys. */
export function rsaModulusBits(key: VerificationKey): number | undefined {
  const algorithm = (key as { algorithm?: { modulusLength?: unknown } }).algorithm;
  if (typeof algorithm?.modulusLength === 'number') return algorithm.modulusLength;
  const details = (key as Partial<KeyObject>).asymmetricKeyDetails;
  return typeof details?.modulusLength === 'number' ? details.modulusLength : undefined;
}
