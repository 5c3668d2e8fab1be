import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { IdTokenError, ResponseError } from './errors.js';
import { parseJSONObject, send, type HttpSettings } from './http.js';

export interface KeyStoreOptions {
  /** Least time between two refetches caused by an unknown `kid` (ms). */
  cooldown: number;
  /** After this long (ms) the next verification refetches; the old keys serve if that fails. */
  maxAge: number;
  now: () => number;
}

/**
 * Okta's signing keys (`/v1/keys`), fetched on first use and cached. jose picks and
 * imports the key; this class only decides when to (re)fetch:
 * - an unknown `kid` refetches once, at most once per cooldown (Okta rotates keys, and
 *   a flood of forged `kid`s must not turn into a flood of requests to Okta);
 * - keys older than `maxAge` are refreshed, but kept if Okta cannot be reached.
 */
export class KeyStore {
  private keySet: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly http: HttpSettings,
    private readonly url: string,
    private readonly options: KeyStoreOptions,
  ) {}

  /** A jose key resolver bound to this store. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.options.now();
    if (!this.keySet) {
      await this.refresh();
    } else if (now - this.fetchedAt > this.options.maxAge && now - this.attemptedAt > this.options.cooldown) {
      await this.refresh().catch(() => undefined);
    }
    try {
      return await this.pick(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      if (this.options.now() - this.attemptedAt < this.options.cooldown) {
        throw new IdTokenError('kid', 'matches no key in the key set', { cause: err });
      }
      await this.refresh();
      return this.pick(header, token);
    }
  };

  /** Drops cached keys (for tests and for apps that learn of a rotation out of band). */
  clear(): void {
    this.keySet = undefined;
    this.fetchedAt = Number.NEGATIVE_INFINITY;
    this.attemptedAt = Number.NEGATIVE_INFINITY;
  }

  private async pick(...args: Parameters<JWTVerifyGetKey>): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    try {
      return await this.keySet!(...args);
    } catch (err) {
      if (err instanceof joseErrors.JWKSMultipleMatchingKeys) {
        // Okta always sends a `kid` that names one key; we refuse rather than try every key.
        const reason =
          args[0].kid === undefined ? 'is missing and several keys could match' : 'names several keys of the key set';
        throw new IdTokenError('kid', reason, { cause: err });
      }
      throw err;
    }
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    const what = 'keys endpoint';
    // Count the attempt even if it fails, so the cooldown also protects a failing Okta.
    this.attemptedAt = this.options.now();
    const answer = await send(this.http, this.url, { method: 'GET', headers: { accept: 'application/json' } }, what);
    if (answer.status !== 200) {
      throw new ResponseError(`Okta's ${what} answered with unexpected status ${answer.status}`, answer.status);
    }
    const body = parseJSONObject(answer, what);
    try {
      this.keySet = createLocalJWKSet(body as unknown as JSONWebKeySet);
      this.fetchedAt = this.options.now();
    } catch (err) {
      throw new ResponseError(`Okta's ${what} answered with a malformed key set`, answer.status, { cause: err });
    }
  }
}
