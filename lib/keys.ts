import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';

type VerificationKey = Awaited<ReturnType<JWTVerifyGetKey>>;
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
  /** Keys jose already picked and imported from the current set, by `alg` and `kid`. */
  private readonly picked = new Map<string, Promise<VerificationKey>>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly http: HttpSettings,
    private readonly url: string,
    private readonly options: KeyStoreOptions,
  ) {}

  /** The key that verifies a token with this protected header (its `alg` and `kid`). */
  async getKey(header: ProtectedHeaderParameters): Promise<VerificationKey> {
    const now = this.options.now();
    if (!this.keySet) {
      await this.refresh();
    } else if (now - this.fetchedAt > this.options.maxAge && now - this.attemptedAt > this.options.cooldown) {
      await this.refresh().catch(() => undefined);
    }
    try {
      return await this.pick(header);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      if (this.options.now() - this.attemptedAt < this.options.cooldown) {
        throw new IdTokenError('kid', 'matches no key in the key set', { cause: err });
      }
      await this.refresh();
      return this.pick(header);
    }
  }

  /** Drops cached keys (for tests and for apps that learn of a rotation out of band). */
  clear(): void {
    this.keySet = undefined;
    this.picked.clear();
    this.fetchedAt = Number.NEGATIVE_INFINITY;
    this.attemptedAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Picks the key with jose, once per `alg` and `kid` for the current set: jose's key set
   * lookup and key import cost more than the signature check itself.
   */
  private async pick(header: ProtectedHeaderParameters): Promise<VerificationKey> {
    const id = `${String(header.alg)} ${header.kid ?? ''}`;
    let key = this.picked.get(id);
    if (key === undefined) {
      key = Promise.resolve(this.keySet!(header as Parameters<JWTVerifyGetKey>[0], { payload: '', signature: '' }));
      this.picked.set(id, key);
      key.catch(() => this.picked.delete(id));
    }
    try {
      return await key;
    } catch (err) {
      if (err instanceof joseErrors.JWKSMultipleMatchingKeys) {
        // Okta always sends a `kid` that names one key; we refuse rather than try every key.
        const reason = header.kid === undefined ? 'is missing and several keys could match' : 'names several keys of the key set';
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
      this.picked.clear();
      this.fetchedAt = this.options.now();
    } catch (err) {
      throw new ResponseError(`Okta's ${what} answered with a malformed key set`, answer.status, { cause: err });
    }
  }
}
