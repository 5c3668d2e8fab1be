import { decodeJwt } from 'jose';
import { BoundedCache } from '../core/cache.js';
import { ConfigurationError } from '../core/errors.js';
import { AccessTokenError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import { issuerParts, type IssuerParts, type SharedParts } from './issuer-parts.js';
import type { OktaBearerIssuer, OktaBearerIssuerResolver } from './options.js';

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

const unlisted = (): AccessTokenError =>
  new AccessTokenError('invalid_token', 'The access token was issued by an authorization server this API does not accept (iss)');

/**
 * The authorization servers of an API with `issuers`: a token's unverified `iss` only picks
 * one from the allow-list (a list given at construction, or the app's resolver); the token is
 * then verified with that issuer's keys and rules alone, and its caches. An `iss` not on the
 * list is refused before any request. With a resolver, the parts of at most `max` issuers are
 * kept, the least recently used going first.
 */
export class Issuers {
  private readonly listed: ReadonlyMap<string, IssuerParts> | undefined;
  private readonly resolved: BoundedCache<string, IssuerParts>;

  constructor(
    issuers: readonly OktaBearerIssuer[] | OktaBearerIssuerResolver,
    private readonly shared: SharedParts,
    max: number,
  ) {
    this.resolved = new BoundedCache({ maxEntries: max });
    if (typeof issuers === 'function') {
      this.resolve = issuers;
      return;
    }
    if (!Array.isArray(issuers) || issuers.length === 0) {
      throw new ConfigurationError('issuers must be a non-empty list of { oktaDomain, authServerId, audience }, or a resolver');
    }
    const listed = new Map<string, IssuerParts>();
    for (const config of issuers as readonly OktaBearerIssuer[]) {
      const parts = this.partsOf(config);
      if (listed.has(parts.tokenSettings.issuer)) {
        throw new ConfigurationError(`issuers lists ${parts.tokenSettings.issuer} twice`);
      }
      listed.set(parts.tokenSettings.issuer, parts);
    }
    this.listed = listed;
  }

  private readonly resolve: OktaBearerIssuerResolver | undefined;

  /** How many issuers' parts are held. */
  get size(): number {
    return this.listed?.size ?? this.resolved.size;
  }

  /**
   * The parts of the issuer `token` names, if it is listed.
   * @throws {AccessTokenError} `invalid_token`: not a JWT (an opaque token names no issuer), or an unlisted issuer.
   */
  async forToken(token: string, jwt: boolean): Promise<IssuerParts> {
    const iss = unverifiedIssuer(token, jwt);
    if (this.listed !== undefined) {
      const parts = this.listed.get(iss);
      if (parts === undefined) throw unlisted();
      return parts;
    }
    const held = this.resolved.get(iss);
    if (held !== undefined) {
      this.resolved.set(iss, held);
      return held;
    }
    if (this.resolve === undefined) throw unlisted();
    // From JavaScript, the resolver may answer anything.
    const config: unknown = await this.resolve(iss);
    if (config === undefined || config === null) throw unlisted();
    if (!isObject(config)) throw new ConfigurationError('The issuers resolver must return an issuer object or undefined');
    const parts = this.partsOf(config as OktaBearerIssuer);
    // The answer must be the issuer asked for: else a token could be checked by another's rules.
    if (parts.tokenSettings.issuer !== iss) throw unlisted();
    this.resolved.set(iss, parts);
    return parts;
  }

  private partsOf(config: OktaBearerIssuer): IssuerParts {
    if (!isObject(config)) throw new ConfigurationError('each of issuers must be an object');
    checkOptionNames('OktaBearerStrategy issuer', config, ISSUER_OPTION_NAMES);
    return issuerParts(config, this.shared);
  }
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
