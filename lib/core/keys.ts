import { errors as joseErrors, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';
import { KeySetUnavailableError, RateLimitError, type OktaError } from './errors.js';
import type { HttpSettings } from './http.js';
import { downloadKeySet, KeyError, rsaModulusBits, type VerificationKey } from './key-set.js';
import { MAX_FAILURE_BACKOFF, MIN_KEY_SET_AGE, REFRESH_AHEAD } from './key-set.js';
import { events, type DiagnosticsMessages } from './diagnostics.js';
import { tellRotation, traceKeySetFetch } from './okta-events.js';
export { KeyError, rsaModulusBits } from './key-set.js';

type FetchReason = DiagnosticsMessages['passport-okta-oidc:keys:fetch']['reason'];

export interface KeyStoreOptions {
  /** Least time between two fetches (ms): after an unknown `kid`, and the first wait after a failed fetch. */
  cooldown: number;
  /** After this long (ms) the next verification refetches; the old keys serve if that fails. */
  maxAge: number;
  now: () => number;
}

/** NIST SP 800-131A: RSA signatures need a modulus of 2048 bits or more. */
export const MIN_RSA_BITS = 2048;

/**
 * Okta's signing keys (`/v1/keys`), fetched ahead of need (at a strategy's start-up, else
 * beside the token request whose ID token they check) and cached. jose picks and
 * imports the key; this class only decides when to (re)fetch:
 * - an unknown `kid` refetches once when the set is more than 5 s old, and at most once
 *   per cooldown (Okta rotates keys, and a flood of forged `kid`s must not turn into a
 *   flood of requests to Okta);
 * - in the last tenth of `maxAge` the set is refreshed in the background while it serves;
 *   keys older than `maxAge` wait for a refresh, but are kept if Okta cannot be reached;
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
  /** A fetch started beside a token request, for the next {@link getKey} to await. */
  private warming: Promise<void> | undefined;
  /** Whether a failed start-up fetch was reported (once per store). */
  private warned = false;
  /** The age (ms) from which the set is refreshed in the background, before `maxAge`. */
  private readonly refreshAt: number;

  constructor(
    private readonly http: HttpSettings,
    private readonly url: string,
    private readonly options: KeyStoreOptions,
  ) {
    this.refreshAt = options.maxAge - Math.min(options.maxAge / 10, REFRESH_AHEAD);
  }

  /** The key that verifies a token with this protected header (its `alg` and `kid`). */
  async getKey(header: ProtectedHeaderParameters): Promise<VerificationKey> {
    const now = this.options.now();
    if (!this.keySet) {
      // A fetch started beside this sign-in's token request: its outcome is this request's.
      const warming = this.warming;
      this.warming = undefined;
      if (warming !== undefined) await warming;
      else if (now < this.retryAt) throw this.unavailable(now);
      else await this.refresh('first-use');
    } else if (now - this.fetchedAt > this.refreshAt && this.mayFetch(now)) {
      // Refreshed ahead of time in the background; only a set past maxAge waits for it.
      const refreshed = this.refresh('max-age').catch(() => undefined);
      if (now - this.fetchedAt > this.options.maxAge) await refreshed;
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
   * Fetches the key set in the background at a strategy's start-up, unless one is cached or
   * on its way. Never rejects: a failure warns once and is not counted in the backoff, so
   * the first request that needs the keys fetches them again.
   */
  prefetch(): void {
    if (this.keySet !== undefined || this.inFlight !== undefined || this.options.now() < this.retryAt) return;
    this.inFlight = this.fetchKeys('start-up', false).finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight.then(
      () => {
        this.importAll();
      },
      (err: unknown) => {
        if (this.warned) return;
        this.warned = true;
        const why = err instanceof Error ? err.message : String(err);
        console.warn(
          `passport-okta-oidc: fetching Okta's key set at start-up failed (${why}); the first request that needs it fetches it again`,
        );
      },
    );
  }

  /** Has jose import every published key that names its `alg`, so that the first verification finds it ready. */
  private importAll(): void {
    for (const [kid, json] of this.publishedKeys) {
      const { alg } = JSON.parse(json) as { alg?: unknown };
      if (kid !== '' && typeof alg === 'string') this.pick({ alg, kid }).catch(() => undefined);
    }
  }

  /**
   * Starts fetching the key set when none is cached, beside a token request whose ID token
   * it will check: the two round trips overlap. The next {@link getKey} takes the fetch's
   * outcome, as if it had made it; never rejects on its own.
   */
  warm(): Promise<void> | undefined {
    if (this.keySet !== undefined || this.options.now() < this.retryAt) return undefined;
    const warming = this.refresh('first-use');
    this.warming = warming;
    warming.catch(() => undefined);
    return warming;
  }

  /** Ends a {@link warm} whose sign-in did not get to its key (its token request failed): nobody else may take its outcome. */
  unwarm(warming: Promise<void> | undefined): void {
    if (warming !== undefined && this.warming === warming) this.warming = undefined;
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
    const now = this.options.now();
    const age = now - this.fetchedAt;
    if (age > this.refreshAt) {
      if (age > this.options.maxAge) return undefined;
      if (this.mayFetch(now)) void this.refresh('max-age').catch(() => undefined);
    }
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
    this.warming = undefined;
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

  private refresh(reason: FetchReason): Promise<void> {
    this.inFlight ??= this.fetchKeys(reason).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** `counted`: a failure starts (or lengthens) the backoff; a start-up prefetch's does not. */
  private async fetchKeys(reason: FetchReason, counted = true): Promise<void> {
    // Count the attempt even if it fails, so the cooldown also protects a failing Okta.
    this.attemptedAt = this.options.now();
    const before = this.publishedKeys;
    const download = async (): Promise<void> => {
      const downloaded = await downloadKeySet(this.http, this.url, this.options.now());
      ({ keySet: this.keySet, published: this.publishedKeys, count: this.keyCount } = downloaded);
    };
    try {
      await (events.keySetFetch.hasSubscribers ? traceKeySetFetch(this.url, reason, download, () => this.keyCount) : download());
    } catch (err) {
      if (counted) this.failed(err);
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
