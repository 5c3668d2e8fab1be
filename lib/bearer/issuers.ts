import { decodeJwt } from 'jose';
import { BoundedCache } from '../core/cache.js';
import { withDeadline } from '../core/deadline.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import { AccessTokenError, ConfigurationError, StoreUnavailableError } from '../core/errors.js';
import type { KeyStore } from '../core/keys.js';
import { checkOptionNames, isObject } from '../core/options.js';
import {
  bearerKeyStores,
  issuerEndpoints,
  issuerParts,
  type IssuerParts,
  type KeyStoreSource,
  type SharedParts,
} from './issuer-parts.js';
import type { OktaBearerIssuer, OktaBearerIssuerResolver } from './options.js';
import { sharedCall } from '../core/single-flight.js';

export const ISSUER_OPTION_NAMES: readonly string[] = Object.keys({
  oktaDomain: true,
  authServerId: true,
  issuer: true,
  audience: true,
  clientIds: true,
  clientID: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
  privateKey: true,
  privateKeyId: true,
} as const satisfies Record<keyof OktaBearerIssuer, true>);

const UNLISTED = 'The access token was issued by an authorization server this API does not accept (iss)';
const ELSEWHERE =
  "The access token's issuer is refused: this API's issuers resolver gave it keys from another origin than its own (iss)";

/** How long a resolver's "not accepted" is remembered, and for how many `iss` at most. */
const MISS_TTL = 60_000;
const MAX_MISSES = 10_000;
/** Longer than any Okta issuer (`https://` + a host name + `/oauth2/` + an id): refused without asking the resolver. */
const MAX_ISS_LENGTH = 1024;
/** Key caches kept beside the issuers' parts, so that evicting an issuer's parts does not forget its key set's cooldown. */
const MIN_KEY_STORES = 1000;

/** What the issuers of an API with `issuers` are given: the strategy's shared options, and the resolver's bounds. */
export interface IssuersLimits {
  /** With a resolver: most issuers whose parts are kept. */
  max: number;
  /** With a resolver: longest wait (ms) for its answer. */
  resolverTimeout: number;
}

/**
 * The authorization servers of an API with `issuers`: a token's unverified `iss` only picks
 * one from the allow-list (a list given at construction, or the app's resolver); the token is
 * then verified with that issuer's keys and rules alone, and its caches. An `iss` not on the
 * list is refused before any request to Okta. Each issuer's keys come from its own origin.
 *
 * With a resolver: the parts of at most `max` issuers are kept, the least recently used going
 * first, but the key caches of 4 × `max` (at least 1000) key set URLs, so that tokens naming
 * more issuers than `max` in turn cannot make a key set fetch per request (each key set keeps
 * its cooldown and backoff); an `iss` the resolver does not accept is remembered for a minute
 * (10,000 at most); the requests that name an issuer not yet held share one resolver call;
 * and the resolver is given `resolverTimeout` ms to answer.
 */
export class Issuers {
  private readonly listed: ReadonlyMap<string, IssuerParts> | undefined;
  private readonly resolve: OktaBearerIssuerResolver | undefined;
  private readonly resolved: BoundedCache<string, IssuerParts>;
  /** Why each recently refused `iss` was refused (the description of its 401). */
  private readonly misses: BoundedCache<string, string>;
  /** The resolutions under way, by `iss`: concurrent requests for one issuer share one. */
  private readonly pending = new Map<string, Promise<IssuerParts>>();
  private readonly keyStores: KeyStoreSource;

  constructor(
    issuers: readonly OktaBearerIssuer[] | OktaBearerIssuerResolver,
    private readonly shared: SharedParts,
    private readonly limits: IssuersLimits,
  ) {
    this.resolved = new BoundedCache({ maxEntries: limits.max });
    this.misses = new BoundedCache({ maxEntries: MAX_MISSES, ttl: MISS_TTL, now: shared.now });
    this.keyStores = boundedKeyStores(bearerKeyStores(shared), Math.max(MIN_KEY_STORES, 4 * limits.max));
    if (typeof issuers === 'function') {
      this.resolve = issuers;
      return;
    }
    if (!Array.isArray(issuers) || issuers.length === 0) {
      throw new ConfigurationError('issuers must be a non-empty list of { oktaDomain, authServerId, audience }, or a resolver');
    }
    const listed = new Map<string, IssuerParts>();
    for (const config of issuers as readonly OktaBearerIssuer[]) {
      const endpoints = checkedEndpoints(config);
      if (!sameOrigin(endpoints)) {
        throw new ConfigurationError(
          `issuer "${endpoints.issuer}" is not served by its oktaDomain: with issuers, give as oktaDomain the origin of the ` +
            'Issuer (with a custom URL domain as Issuer, that domain), so that its keys come from where it lives',
        );
      }
      const parts = issuerParts(config, shared, this.keyStores, endpoints);
      if (listed.has(parts.tokenSettings.issuer)) {
        throw new ConfigurationError(`issuers lists ${parts.tokenSettings.issuer} twice`);
      }
      listed.set(parts.tokenSettings.issuer, parts);
    }
    this.listed = listed;
  }

  /** How many issuers' parts are held. */
  get size(): number {
    return this.listed?.size ?? this.resolved.size;
  }

  /**
   * The parts of the issuer `token` names, if it is listed.
   * @throws {AccessTokenError} `invalid_token`: not a JWT (an opaque token names no issuer), an unlisted issuer, or one whose keys would come from elsewhere.
   * @throws {StoreUnavailableError} the resolver did not answer within `resolverTimeout`.
   */
  async forToken(token: string, jwt: boolean): Promise<IssuerParts> {
    const iss = unverifiedIssuer(token, jwt);
    if (this.listed !== undefined) {
      const parts = this.listed.get(iss);
      if (parts === undefined) throw new AccessTokenError('invalid_token', UNLISTED);
      return parts;
    }
    const held = this.resolved.get(iss);
    if (held !== undefined) {
      this.resolved.set(iss, held);
      return held;
    }
    const missed = this.misses.get(iss);
    if (missed !== undefined || iss.length > MAX_ISS_LENGTH) throw new AccessTokenError('invalid_token', missed ?? UNLISTED);
    return sharedCall(this.pending, iss, () => this.resolveParts(iss));
  }

  /** Asks the resolver once for `iss`, within the deadline, and holds (or remembers the refusal of) its answer. */
  private async resolveParts(iss: string): Promise<IssuerParts> {
    const config = await this.ask(iss);
    const refusal = refusalOf(config, iss);
    if (refusal !== undefined) {
      this.misses.set(iss, refusal);
      throw new AccessTokenError('invalid_token', refusal);
    }
    const parts = issuerParts(
      config as OktaBearerIssuer,
      this.shared,
      this.keyStores,
      checkedEndpoints(config as OktaBearerIssuer),
    );
    this.resolved.set(iss, parts);
    return parts;
  }

  /** The resolver's answer (from JavaScript, it may answer anything). */
  private async ask(iss: string): Promise<unknown> {
    const resolve = this.resolve;
    if (resolve === undefined) return undefined;
    const { resolverTimeout } = this.limits;
    return await withDeadline<unknown>(
      resolve(iss),
      resolverTimeout,
      () => new StoreUnavailableError(`The issuers resolver did not answer within ${resolverTimeout} ms`),
    );
  }
}

/** Why the resolver's answer for `iss` refuses the token, if it does; throws for an answer that is not an issuer. */
function refusalOf(config: unknown, iss: string): string | undefined {
  if (config === undefined || config === null) return UNLISTED;
  if (!isObject(config)) throw new ConfigurationError('The issuers resolver must return an issuer object or undefined');
  const endpoints = checkedEndpoints(config as OktaBearerIssuer);
  // The answer must be the issuer asked for: else a token could be checked by another's rules.
  if (endpoints.issuer !== iss) return UNLISTED;
  // And its keys must come from where it lives: else a resolver fed by a tenant's input could
  // have tokens claiming one org's issuer checked with keys of the tenant's choosing.
  if (!sameOrigin(endpoints)) return ELSEWHERE;
  return undefined;
}

function checkedEndpoints(config: OktaBearerIssuer): OktaEndpoints {
  if (!isObject(config)) throw new ConfigurationError('each of issuers must be an object');
  checkOptionNames('OktaBearerStrategy issuer', config, ISSUER_OPTION_NAMES);
  return issuerEndpoints(config);
}

/** Whether the issuer's `iss` and its endpoints (its keys) share one origin. */
function sameOrigin(endpoints: OktaEndpoints): boolean {
  return new URL(endpoints.issuer).origin === new URL(endpoints.keys).origin;
}

/** `source`'s key caches, kept by URL for the `max` URLs used last. */
function boundedKeyStores(source: KeyStoreSource, max: number): KeyStoreSource {
  const stores = new BoundedCache<string, () => KeyStore>({ maxEntries: max });
  return (url, prefetch) => {
    const store = stores.get(url) ?? source(url, prefetch);
    stores.set(url, store);
    return store;
  };
}

/** The `iss` of a JWT (`jwt`: it has a JWT's shape), unverified: only to choose whose rules verify it. */
function unverifiedIssuer(token: string, jwt: boolean): string {
  if (!jwt) {
    throw new AccessTokenError('invalid_token', 'This API accepts JWT access tokens only (an opaque token names no issuer)');
  }
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw new AccessTokenError('invalid_token', 'The access token is not a well-formed JWT');
  }
  if (typeof iss !== 'string' || iss === '') throw new AccessTokenError('invalid_token', 'The access token has no iss claim');
  return iss;
}
