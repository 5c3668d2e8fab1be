import type { TokenEndpointAuthMethod } from '../core/client-auth.js';
import type { FetchLike } from '../core/http.js';
import type { PrivateJWK } from '../core/jwk.js';
import type { OktaRequest } from '../passport/request.js';
import type { VerifyCallback, VerifyResult } from '../passport/verify.js';
import type { OktaAccessTokenClaims } from './access-token.js';
import type { DPoPMode } from './challenge.js';
import type { IntrospectionCache } from './introspection.js';
import type { DPoPReplayStore } from './replay.js';

export type { DPoPMode } from './challenge.js';

/**
 * Finds the app's user (or client) for a verified access token. Call `done(err, user, info)`,
 * or leave `done` out and return a promise of the user (`false` refuses the token).
 */
export type BearerVerifyFunction = (claims: OktaAccessTokenClaims, token: string, done: VerifyCallback) => VerifyResult;

/** {@link BearerVerifyFunction} with the request first (`passReqToCallback: true`). */
export type BearerVerifyFunctionWithRequest<Req extends OktaRequest = OktaRequest> = {
  verify(req: Req, claims: OktaAccessTokenClaims, token: string, done: VerifyCallback): VerifyResult;
}['verify'];

/** `req.authInfo` after a successful `passport.authenticate('okta-bearer')`, plus the verify function's info. */
export interface OktaBearerAuthInfo {
  /** The granted scopes (`scp`). */
  scopes: string[];
  /** The verified claims of the token (or of the introspection answer). */
  claims: OktaAccessTokenClaims;
  /** The scheme the token came with: `DPoP` once its proof was checked. */
  tokenType: 'Bearer' | 'DPoP';
  [key: string]: unknown;
}

/** Options of {@link OktaBearerStrategy}. */
export interface OktaBearerStrategyOptions {
  /** `https://acme.okta.com` or `acme.okta.com`. */
  oktaDomain: string;
  /**
   * Custom authorization server id (e.g. `default`): its JWT access tokens are verified
   * locally. Omit for the org authorization server, whose tokens can only be introspected
   * (then `clientID` is required).
   */
  authServerId?: string | undefined;
  /**
   * The `iss` the tokens carry, when it is not the URL the endpoints are under (a custom URL
   * domain as `oktaDomain` while the authorization server's Issuer is still the Okta URL):
   * the Issuer Okta shows for the authorization server. As for `OktaStrategy`: https, no
   * trailing slash, only the host may differ. Default: the endpoints' URL.
   */
  issuer?: string | undefined;
  /** The API's audience (`aud`), e.g. `api://default`; or several. Required. */
  audience: string | readonly string[];
  /** A client allowed to introspect (RFC 7662): enables `/v1/introspect`. */
  clientID?: string | undefined;
  /** That client's secret (`client_secret_basic` by default). */
  clientSecret?: string | undefined;
  /** How that client authenticates to `/v1/introspect`. Default `client_secret_basic`. */
  tokenEndpointAuthMethod?: Exclude<TokenEndpointAuthMethod, 'none'> | undefined;
  /** For `private_key_jwt`: a private JWK with `kid`, or a PKCS#8 PEM (then give `privateKeyId`). */
  privateKey?: PrivateJWK | string | undefined;
  privateKeyId?: string | undefined;
  /**
   * When to ask `/v1/introspect`: `'auto'` (default) for tokens that cannot be verified
   * locally (org server, opaque tokens); `'always'` for every token (sees revocations, at
   * one call per token and cache lifetime); `'never'`.
   */
  introspect?: 'auto' | 'always' | 'never' | undefined;
  /** Where positive introspection answers are kept until `exp`. Default: a {@link MemoryIntrospectionCache}. */
  introspectionCache?: IntrospectionCache | undefined;
  /** Longest time (ms) an introspection answer is cached, whatever its `exp`. Default: until `exp`. */
  introspectionCacheMaxAge?: number | undefined;
  /** Clients (`cid`) whose tokens are accepted. Default: any client of the authorization server. */
  clientIds?: readonly string[] | undefined;
  /** Accepted access token signing algorithms. Default `['RS256']` (what Okta uses). */
  accessTokenSigningAlgorithms?: readonly string[] | undefined;
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat` and on DPoP proofs' `iat`. Default 60. */
  clockTolerance?: number | undefined;
  /**
   * DPoP-bound tokens (RFC 9449): `'allowed'` (default) accepts both schemes, `'required'`
   * refuses plain bearer tokens, `'disabled'` does not accept the DPoP scheme. A
   * DPoP-bound token presented as `Bearer` is always refused.
   */
  dpop?: DPoPMode | undefined;
  /** Accepted DPoP proof algorithms, announced in `algs`. Default `['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']`. */
  dpopSigningAlgorithms?: readonly string[] | undefined;
  /** Seconds a DPoP proof is accepted after its `iat` (plus `clockTolerance`). Default 60. */
  dpopProofMaxAge?: number | undefined;
  /** Where used proofs are remembered. Default: a {@link MemoryDPoPReplayStore}; share one between instances. */
  dpopReplayStore?: DPoPReplayStore | undefined;
  /** Compare `htu` with `X-Forwarded-Proto`/`-Host` (first values): only behind a proxy that sets them. Default false. */
  trustProxy?: boolean | undefined;
  /**
   * The API's public origin, e.g. `https://api.example.com`: a DPoP proof's `htu` must be this
   * origin and the request's path, whatever `Host` the request names. The safest choice in
   * production: a proof captured at another resource server of the same audience is refused.
   */
  origin?: string | undefined;
  /**
   * Without `origin`, the hosts (`api.example.com`, `localhost:3000`) a DPoP request may name
   * in `Host` (or `X-Forwarded-Host` with `trustProxy`); any other is refused (400) before
   * `htu` is compared with it.
   */
  allowedHosts?: readonly string[] | undefined;
  /** `realm` of the `WWW-Authenticate` challenges. Default: none. */
  realm?: string | undefined;
  /** Strategy name for `passport.authenticate(name)`. Default `'okta-bearer'`. */
  name?: string | undefined;
  /** Milliseconds allowed for each request to Okta (keys, introspection). Default 10000. */
  timeout?: number | undefined;
  /** A `fetch` to use instead of node:http(s), e.g. one that goes through a proxy. */
  fetch?: FetchLike | undefined;
  /** Milliseconds between two key set fetches caused by an unknown `kid`. Default 30000. */
  jwksCooldown?: number | undefined;
  /** Milliseconds after which the cached key set is refreshed on next use. Default 3600000. */
  jwksMaxAge?: number | undefined;
  /**
   * Fetch Okta's key set in the background as soon as the strategy is made (shared with a
   * sign-in strategy of the same server), so that the first request does not wait for it. A
   * failure warns once and the first request fetches it again. Default `true`.
   */
  prefetchKeys?: boolean | undefined;
  /**
   * How many verified JWT access tokens to remember until they expire (by a hash, never
   * the token), so that a client's next requests with the same token skip the signature
   * check; `exp` is still checked on every request. Default 1000; 0 turns it off.
   */
  verifiedTokenCacheSize?: number | undefined;
  /**
   * Milliseconds the verify function may take to call `done` or resolve to a user before the
   * request ends in an error. Default 30000.
   */
  verifyTimeout?: number | undefined;
  /**
   * Told of an exception thrown after the outcome was handed to Passport (by the app's
   * custom callback, or a response that was already sent). Default: `console.error`.
   */
  onReportError?: ((err: Error, req: OktaRequest) => void) | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Pass the request as the verify function's first argument. */
  passReqToCallback?: false | undefined;
}

/**
 * One authorization server whose access tokens an API with `issuers` accepts, with its own
 * rules: the options of {@link OktaBearerStrategyOptions} of the same names.
 */
export interface OktaBearerIssuer {
  /** `https://acme.okta.com` or `acme.okta.com`. */
  oktaDomain: string;
  /** Custom authorization server id (its JWT access tokens are verified locally); omit for the org server (introspection only). */
  authServerId?: string | undefined;
  /**
   * The `iss` of its tokens. With `issuers` it must be on the origin of `oktaDomain` (each
   * issuer's keys come from where it lives), so it can be left out: with a custom URL domain
   * as the authorization server's Issuer, give that domain as `oktaDomain`.
   */
  issuer?: string | undefined;
  /** The API's audience at this server (`aud`), or several. */
  audience: string | readonly string[];
  /** Clients (`cid`) whose tokens are accepted. Default: any client of this server. */
  clientIds?: readonly string[] | undefined;
  /** A client allowed to introspect at this server (RFC 7662). */
  clientID?: string | undefined;
  clientSecret?: string | undefined;
  tokenEndpointAuthMethod?: Exclude<TokenEndpointAuthMethod, 'none'> | undefined;
  privateKey?: PrivateJWK | string | undefined;
  privateKeyId?: string | undefined;
}

/**
 * Gives the authorization server of a token's `iss` (read from the token before it is
 * verified, only to choose this), or `undefined` for an issuer the API does not accept: the
 * token is then refused (401 `invalid_token`) with no request anywhere, and that `iss` is
 * not asked about again for a minute. The answer must be that very issuer, its `oktaDomain`
 * on the issuer's own origin (else the token is refused). Keep it an allow-list: never build
 * a domain from `iss` itself. It is called once at a time per `iss`, and given
 * `resolverTimeout` to answer.
 */
export type OktaBearerIssuerResolver = (iss: string) => OktaBearerIssuer | undefined | Promise<OktaBearerIssuer | undefined>;

/**
 * Options of an {@link OktaBearerStrategy} that accepts the tokens of several authorization
 * servers (several Okta orgs): each token is verified with the rules of the issuer it names,
 * if that issuer is listed (see docs/tenants.md).
 */
export interface OktaBearerIssuersOptions extends Omit<OktaBearerStrategyOptions, keyof OktaBearerIssuer | 'passReqToCallback'> {
  /** The accepted authorization servers, or a resolver that gives one by `iss` (an allow-list). */
  issuers: readonly OktaBearerIssuer[] | OktaBearerIssuerResolver;
  /** With a resolver: most issuers whose keys and caches are kept at once, the least recently used going first. Default 100. */
  maxIssuers?: number | undefined;
  /**
   * With a resolver: longest wait (ms) for its answer. A request whose issuer the resolver
   * has not given in time fails with a `StoreUnavailableError` (503). Default 5000.
   */
  resolverTimeout?: number | undefined;
  /** Pass the request as the verify function's first argument. */
  passReqToCallback?: boolean | undefined;
}

/** {@link OktaBearerStrategyOptions} with `passReqToCallback: true`. */
export interface OktaBearerStrategyOptionsWithRequest extends Omit<OktaBearerStrategyOptions, 'passReqToCallback'> {
  passReqToCallback: true;
}

// The option names the strategy knows. `satisfies` makes the compiler fail when an option is
// added to the interface but not here, so a new option can never be refused.
export const BEARER_OPTION_NAMES: readonly string[] = Object.keys({
  oktaDomain: true,
  authServerId: true,
  issuer: true,
  audience: true,
  clientID: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
  privateKey: true,
  privateKeyId: true,
  introspect: true,
  introspectionCache: true,
  introspectionCacheMaxAge: true,
  clientIds: true,
  accessTokenSigningAlgorithms: true,
  clockTolerance: true,
  dpop: true,
  dpopSigningAlgorithms: true,
  dpopProofMaxAge: true,
  dpopReplayStore: true,
  trustProxy: true,
  origin: true,
  allowedHosts: true,
  realm: true,
  name: true,
  timeout: true,
  fetch: true,
  jwksCooldown: true,
  jwksMaxAge: true,
  prefetchKeys: true,
  verifiedTokenCacheSize: true,
  verifyTimeout: true,
  onReportError: true,
  now: true,
  passReqToCallback: true,
} as const satisfies Record<keyof OktaBearerStrategyOptions, true>);
