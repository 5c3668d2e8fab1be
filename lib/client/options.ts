import type { PrivateJWK } from '../core/jwk.js';
import type { TokenEndpointAuthMethod } from '../core/client-auth.js';
import { oktaEndpoints, parseOktaDomain, type OktaEndpoints } from '../core/endpoints.js';
import { ConfigurationError } from '../core/errors.js';
import type { FetchLike, HttpSettings } from '../core/http.js';
import { check, checkOptionNames, isObject } from '../core/options.js';
import type { DPoPKeyPair } from './dpop.js';

/** Options of {@link OktaClient}; all optional. */
export interface OktaClientOptions {
  /** Custom authorization server id (e.g. `default`); omit for the org authorization server. */
  authServerId?: string | undefined;
  /**
   * The `iss` Okta's tokens carry, when it is not the URL the endpoints are under: with a
   * custom URL domain as `oktaDomain` (`https://login.example.com`) and the authorization
   * server's Issuer setting left on "Okta URL", tokens say
   * `https://acme.okta.com/oauth2/default`. Copy the Issuer that Okta shows for the
   * authorization server. Only its host may differ: https, no trailing slash, and the path of
   * the server (`/oauth2/{authServerId}`, none for the org server). Default: the endpoints'
   * URL, `https://{oktaDomain}/oauth2/{authServerId}`.
   *
   * @example
   * ```ts
   * new OktaStrategy({ ...options, oktaDomain: 'https://login.example.com', authServerId: 'default',
   *   issuer: 'https://acme.okta.com/oauth2/default' }, verify)
   * ```
   */
  issuer?: string | undefined;
  /**
   * How the client authenticates to the token, revoke and PAR endpoints. Default
   * `client_secret_basic`; `none` is for public clients (PKCE only).
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined;
  /** For `private_key_jwt`: a private JWK with `kid`, or a PKCS#8 PEM string (then give `privateKeyId`). */
  privateKey?: PrivateJWK | string | undefined;
  /** The `kid` Okta knows the PEM `privateKey` by. */
  privateKeyId?: string | undefined;
  /**
   * DPoP sender-constrained tokens (RFC 9449): `true` generates an ES256 key pair for
   * this client; or give a key pair (to share it between instances).
   */
  dpop?: true | DPoPKeyPair | undefined;
  /** Send the authorization parameters to `/v1/par` first (RFC 9126); redirect with `request_uri`. */
  pushedAuthorizationRequests?: boolean | undefined;
  /** Milliseconds allowed for each request to Okta, body included. Default 10000. */
  timeout?: number | undefined;
  /**
   * A `fetch` to send requests to Okta with, e.g. one that goes through a proxy. Default: none,
   * requests go over `node:http(s)` with keep-alive agents, so a proxy set as undici's global
   * dispatcher is used only when you pass `fetch` (the global one will do).
   */
  fetch?: FetchLike | undefined;
  /** Accepted ID token signing algorithms. Default `['RS256']` (what Okta uses). */
  idTokenSigningAlgorithms?: string[] | undefined;
  /**
   * Seconds of clock skew tolerated on `exp`, `iat` and `auth_time`. Default 120, the low end
   * of what Okta's SDKs allow: an ID token is checked once, right after Okta issued it.
   */
  clockTolerance?: number | undefined;
  /**
   * Audiences besides this client's id that an ID token may also name in `aud`. An ID
   * token listing any other audience is rejected, even when its `azp` is this client
   * (OpenID Connect Core §3.1.3.7, step 3). Default: none.
   *
   * @example
   * ```ts
   * new OktaStrategy({ ...options, trustedAudiences: ['api://default'] }, verify)
   * ```
   */
  trustedAudiences?: readonly string[] | undefined;
  /**
   * Milliseconds between two key set fetches caused by an unknown `kid`; also the first
   * wait after a failed fetch, which doubles with each failure in a row (up to 5 minutes).
   * Default 30000.
   */
  jwksCooldown?: number | undefined;
  /** Milliseconds after which the cached key set is refreshed on next use. Default 3600000. */
  jwksMaxAge?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

// The option names the client knows. `satisfies` makes the compiler fail when an option is
// added to the interface but not here, so a new option can never be refused.
const CLIENT_OPTIONS = {
  authServerId: true,
  issuer: true,
  tokenEndpointAuthMethod: true,
  privateKey: true,
  privateKeyId: true,
  dpop: true,
  pushedAuthorizationRequests: true,
  timeout: true,
  fetch: true,
  idTokenSigningAlgorithms: true,
  clockTolerance: true,
  trustedAudiences: true,
  jwksCooldown: true,
  jwksMaxAge: true,
  now: true,
} as const satisfies Record<keyof OktaClientOptions, true>;

export const CLIENT_OPTION_NAMES: readonly string[] = Object.keys(CLIENT_OPTIONS);

const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
];

/** Milliseconds for each request to Okta. */
export const DEFAULT_TIMEOUT = 10_000;
/** Seconds of clock skew on an ID token: checked once, right after Okta issued it (see docs/configuration.md). */
const DEFAULT_CLOCK_TOLERANCE = 120;

/** What {@link resolveClientOptions} makes of a client's arguments: checked, with defaults. */
export interface ClientSettings {
  endpoints: OktaEndpoints;
  /** Whether the endpoints are the org authorization server's (no `authServerId`). */
  orgServer: boolean;
  clientId: string;
  clientSecret: string | undefined;
  redirectURI: string;
  authMethod: TokenEndpointAuthMethod;
  privateKey: PrivateJWK | string | undefined;
  privateKeyId: string | undefined;
  dpop: true | DPoPKeyPair | undefined;
  pushed: boolean;
  http: HttpSettings;
  algorithms: string[];
  clockTolerance: number;
  trustedAudiences: string[];
  /** The key set's URL: the org server's names the client (keys of apps with manual rotation). */
  keysURL: string;
  jwksCooldown: number;
  jwksMaxAge: number;
  now: () => number;
}

/** Checks an `OktaClient`'s arguments and fills in the defaults; throws a {@link ConfigurationError} naming the bad one. */
export function resolveClientOptions(
  oktaDomain: string,
  clientId: string,
  clientSecret: string | null | undefined,
  redirectURI: string,
  options: OktaClientOptions,
): ClientSettings {
  if (!isObject(options)) throw new ConfigurationError('OktaClient options must be an object');
  const origin = parseOktaDomain(oktaDomain, options.issuer);
  checkOptionNames('OktaClient', options, CLIENT_OPTION_NAMES);
  const endpoints = oktaEndpoints(origin, options.authServerId, options.issuer);
  if (typeof clientId !== 'string' || clientId === '') throw new ConfigurationError('clientID is required');
  if (typeof redirectURI !== 'string' || redirectURI === '') {
    throw new ConfigurationError('redirectURI (callbackURL) is required');
  }
  const authMethod = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(authMethod)) {
    // From JavaScript it may be anything, a symbol included: String() prints them all.
    const given: unknown = authMethod;
    throw new ConfigurationError(
      `tokenEndpointAuthMethod "${String(given)}" is not supported; use one of ${AUTH_METHODS.join(', ')}`,
    );
  }
  // The org server publishes the key of an app with manual key rotation only to requests
  // that name the app; with automatic rotation the answer is the same either way.
  const keysURL =
    options.authServerId === undefined ? `${endpoints.keys}?client_id=${encodeURIComponent(clientId)}` : endpoints.keys;
  return {
    endpoints,
    orgServer: options.authServerId === undefined,
    clientId,
    clientSecret: clientSecret || undefined,
    redirectURI,
    authMethod,
    privateKey: options.privateKey,
    privateKeyId: options.privateKeyId,
    dpop: options.dpop,
    pushed: options.pushedAuthorizationRequests === true,
    http: { fetch: check.fn('fetch', options.fetch), timeout: check.milliseconds('timeout', options.timeout, DEFAULT_TIMEOUT) },
    algorithms: check.algorithms('idTokenSigningAlgorithms', options.idTokenSigningAlgorithms, ['RS256']),
    clockTolerance: check.seconds('clockTolerance', options.clockTolerance, DEFAULT_CLOCK_TOLERANCE),
    trustedAudiences: check.strings('trustedAudiences', options.trustedAudiences, '["api://default"]') ?? [],
    keysURL,
    jwksCooldown: check.milliseconds('jwksCooldown', options.jwksCooldown, 30_000, 0),
    jwksMaxAge: check.milliseconds('jwksMaxAge', options.jwksMaxAge, 3_600_000),
    now: check.fn('now', options.now) ?? Date.now,
  };
}
