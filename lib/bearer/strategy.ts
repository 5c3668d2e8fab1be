import type { ServerResponse } from 'node:http';
import { ClientAuthenticator, type TokenEndpointAuthMethod } from '../core/client-auth.js';
import { ConfigurationError } from '../core/errors.js';
import { oktaEndpoints, parseOktaDomain } from '../core/endpoints.js';
import type { FetchLike, HttpSettings } from '../core/http.js';
import type { PrivateJWK } from '../core/jwk.js';
import { sharedKeyStore, type KeyStore } from '../core/keys.js';
import { endUnanswered } from '../passport/response.js';
import { requestOrigin } from '../passport/request.js';
import { PassportStrategy } from '../passport/strategy-base.js';
import type { OktaRequest } from '../passport/request.js';
import type { VerifyResult } from '../sign-in/strategy.js';
import { asError, mayCallDone, runVerify, type VerifyCallback } from '../passport/verify.js';
import { VerifiedTokens } from './verified-tokens.js';
import {
  looksLikeJwt,
  looksOpaque,
  precheckJwt,
  verifyJwtAccessToken,
  type AccessTokenSettings,
  type OktaAccessTokenClaims,
} from './access-token.js';
import {
  headerCount,
  isQuotable,
  readCredentials,
  wwwAuthenticate,
  type ChallengeSettings,
  type Credentials,
  type DPoPMode,
  type Scheme,
} from './challenge.js';
import { normalizeHtuCached, ProofVerifier } from './dpop-proof.js';
import { AccessTokenError } from './errors.js';
import { Introspector, MemoryIntrospectionCache, type IntrospectionCache } from './introspection.js';
import { MemoryDPoPReplayStore, type DPoPReplayStore } from './replay.js';

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
   * How many verified JWT access tokens to remember until they expire (by a hash, never
   * the token), so that a client's next requests with the same token skip the signature
   * check; `exp` is still checked on every request. Default 1000; 0 turns it off.
   */
  verifiedTokenCacheSize?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Pass the request as the verify function's first argument. */
  passReqToCallback?: false | undefined;
}

/** {@link OktaBearerStrategyOptions} with `passReqToCallback: true`. */
export interface OktaBearerStrategyOptionsWithRequest extends Omit<OktaBearerStrategyOptions, 'passReqToCallback'> {
  passReqToCallback: true;
}

type Outcome =
  | { kind: 'success'; user: unknown; info: OktaBearerAuthInfo }
  | { kind: 'fail'; challenge: string; status: number }
  | { kind: 'error'; error: Error };

const DEFAULT_DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The challenge settings of the strategy that authenticated a request, for {@link requireScopes}. */
const challengeOf = new WeakMap<object, ChallengeSettings>();

/**
 * Passport strategy for APIs that receive Okta access tokens: `Authorization: Bearer` or,
 * sender-constrained, `Authorization: DPoP` with a DPoP proof (RFC 9449 §7). JWT access
 * tokens of a custom authorization server are verified locally, with the key cache the
 * sign-in strategy of the same server uses; the org server's and opaque tokens are
 * introspected (RFC 7662) when a client is configured. Refusals answer as RFC 6750 §3
 * and RFC 9449 §7.1 say, with `WWW-Authenticate`. Use it with `session: false`.
 *
 * @example
 * ```ts
 * passport.use(new OktaBearerStrategy({
 *   oktaDomain: 'https://acme.okta.com', authServerId: 'default', audience: 'api://default',
 * }, async (claims) => findUser(claims.sub)))
 * app.get('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read'), handler)
 * ```
 */
export class OktaBearerStrategy extends PassportStrategy {
  override name: string;
  private readonly verify: BearerVerifyFunction | BearerVerifyFunctionWithRequest | undefined;
  private readonly passReqToCallback: boolean;
  private readonly verifyMayCallDone: boolean;
  private readonly keys: KeyStore | undefined;
  private readonly tokenSettings: AccessTokenSettings;
  private readonly verified: VerifiedTokens;
  private readonly introspector: Introspector | undefined;
  private readonly introspectMode: 'auto' | 'always' | 'never';
  private readonly dpop: DPoPMode;
  private readonly proofs: ProofVerifier;
  private readonly trustProxy: boolean;
  private readonly origin: string | undefined;
  private readonly allowedHosts: readonly string[] | undefined;
  private readonly challenge: ChallengeSettings;

  constructor(options: OktaBearerStrategyOptions, verify?: BearerVerifyFunction);
  constructor(options: OktaBearerStrategyOptionsWithRequest, verify: BearerVerifyFunctionWithRequest);
  constructor(
    options: OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest,
    verify?: BearerVerifyFunction | BearerVerifyFunctionWithRequest,
  ) {
    super();
    if (!options || typeof options !== 'object') throw new ConfigurationError('OktaBearerStrategy needs an options object');
    if (verify !== undefined && typeof verify !== 'function') throw new ConfigurationError('verify must be a function');
    this.passReqToCallback = options.passReqToCallback === true;
    if (this.passReqToCallback && verify === undefined) throw new ConfigurationError('passReqToCallback needs a verify function');
    this.verify = verify;
    this.verifyMayCallDone = verify !== undefined && mayCallDone(verify, this.passReqToCallback ? 4 : 3);
    this.name = options.name ?? 'okta-bearer';

    const endpoints = oktaEndpoints(parseOktaDomain(options.oktaDomain, options.issuer), options.authServerId, options.issuer);
    const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
    if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
      throw new ConfigurationError('audience is required: the API\'s audience, e.g. "api://default" (or a list of them)');
    }
    const algorithms = options.accessTokenSigningAlgorithms ?? ['RS256'];
    if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => !ASYMMETRIC.test(a))) {
      throw new ConfigurationError('accessTokenSigningAlgorithms must list asymmetric algorithms such as "RS256"');
    }
    const clockTolerance = options.clockTolerance ?? 60;
    if (!(clockTolerance >= 0)) throw new ConfigurationError('clockTolerance must be a number of seconds >= 0');
    const clientIds = options.clientIds;
    if (clientIds !== undefined && (!Array.isArray(clientIds) || clientIds.some((c) => typeof c !== 'string' || c === ''))) {
      throw new ConfigurationError('clientIds must be an array of client ids');
    }
    const timeout = options.timeout ?? 10_000;
    if (!(timeout > 0)) throw new ConfigurationError('timeout must be a positive number of milliseconds');
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new ConfigurationError('fetch must be a function');
    const now = options.now ?? Date.now;
    const http: HttpSettings = { fetch: options.fetch, timeout };

    this.tokenSettings = {
      issuer: endpoints.issuer,
      audiences: [...audiences],
      algorithms: [...algorithms],
      clockTolerance,
      clientIds,
      now,
    };
    const cacheSize = options.verifiedTokenCacheSize ?? 1000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new ConfigurationError('verifiedTokenCacheSize must be a whole number >= 0');
    }
    this.verified = new VerifiedTokens(cacheSize, clockTolerance, now);
    // The org server's access tokens are for Okta's own APIs: Okta does not support checking them locally.
    if (options.authServerId !== undefined) {
      this.keys = sharedKeyStore(http, endpoints.keys, {
        cooldown: options.jwksCooldown ?? 30_000,
        maxAge: options.jwksMaxAge ?? 3_600_000,
        now,
      });
    }

    this.introspectMode = options.introspect ?? 'auto';
    if (!['auto', 'always', 'never'].includes(this.introspectMode)) {
      throw new ConfigurationError('introspect must be "auto", "always" or "never"');
    }
    const canIntrospect = options.clientID !== undefined && this.introspectMode !== 'never';
    if (this.introspectMode === 'always' && options.clientID === undefined) {
      throw new ConfigurationError('introspect: "always" needs clientID (and its credentials)');
    }
    if (this.keys === undefined && !canIntrospect) {
      throw new ConfigurationError(
        "the org authorization server's access tokens can only be introspected: give clientID and clientSecret, or an authServerId",
      );
    }
    if (canIntrospect) {
      if (typeof options.clientID !== 'string' || options.clientID === '')
        throw new ConfigurationError('clientID must be a client id');
      const method = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
      if ((method as string) === 'none') throw new ConfigurationError('introspection needs an authenticated client, not "none"');
      const cacheMaxAge = options.introspectionCacheMaxAge ?? Number.POSITIVE_INFINITY;
      if (!(cacheMaxAge > 0)) throw new ConfigurationError('introspectionCacheMaxAge must be a positive number of milliseconds');
      const cache = options.introspectionCache ?? new MemoryIntrospectionCache({ now });
      if (typeof cache.get !== 'function' || typeof cache.set !== 'function') {
        throw new ConfigurationError('introspectionCache must implement get(key) and set(key, claims, ttl)');
      }
      this.introspector = new Introspector({
        http,
        endpoint: endpoints.introspect,
        auth: new ClientAuthenticator({
          method,
          clientId: options.clientID,
          clientSecret: options.clientSecret || undefined,
          privateKey: options.privateKey,
          privateKeyId: options.privateKeyId,
          now,
        }),
        clientSecret: options.clientSecret || undefined,
        issuer: endpoints.issuer,
        audiences: [...audiences],
        clientIds,
        clockTolerance,
        cache,
        cacheMaxAge,
        now,
      });
    }

    this.dpop = options.dpop ?? 'allowed';
    if (!['allowed', 'required', 'disabled'].includes(this.dpop)) {
      throw new ConfigurationError('dpop must be "allowed", "required" or "disabled"');
    }
    const dpopAlgs = options.dpopSigningAlgorithms ?? DEFAULT_DPOP_ALGS;
    if (!Array.isArray(dpopAlgs) || dpopAlgs.length === 0 || dpopAlgs.some((a) => !ASYMMETRIC.test(a))) {
      throw new ConfigurationError('dpopSigningAlgorithms must list asymmetric algorithms such as "ES256"');
    }
    const proofMaxAge = options.dpopProofMaxAge ?? 60;
    if (!(proofMaxAge > 0)) throw new ConfigurationError('dpopProofMaxAge must be a positive number of seconds');
    const replay = options.dpopReplayStore ?? new MemoryDPoPReplayStore({ now });
    if (typeof replay.claim !== 'function') throw new ConfigurationError('dpopReplayStore must implement claim(id, expiresAt)');
    this.proofs = new ProofVerifier({
      algorithms: [...dpopAlgs],
      maxAge: proofMaxAge,
      clockTolerance,
      replay,
      storeTimeout: timeout,
      now,
    });
    this.trustProxy = options.trustProxy === true;
    this.origin = options.origin === undefined ? undefined : apiOrigin(options.origin);
    if (options.allowedHosts !== undefined) {
      if (!Array.isArray(options.allowedHosts) || options.allowedHosts.some((h) => typeof h !== 'string' || h === '')) {
        throw new ConfigurationError('allowedHosts must be a list of host names, e.g. ["api.example.com", "localhost:3000"]');
      }
      this.allowedHosts = options.allowedHosts.map((h) => h.toLowerCase());
    }
    if (options.realm !== undefined && (typeof options.realm !== 'string' || !isQuotable(options.realm))) {
      throw new ConfigurationError('realm must be printable ASCII without quotes or backslashes');
    }
    this.challenge = { realm: options.realm, dpop: this.dpop, algs: [...dpopAlgs] };
  }

  /** Called by Passport: checks the request's access token (and DPoP proof), then the verify function. */
  override authenticate(req: OktaRequest): void {
    void this.check(req).then(
      (outcome) => this.report(req, outcome),
      (err: unknown) => this.report(req, { kind: 'error', error: asError(err) }),
    );
  }

  private async check(req: OktaRequest): Promise<Outcome> {
    let scheme: Scheme | undefined;
    try {
      let credentials: Credentials | undefined = readCredentials(req);
      if (credentials?.scheme === 'DPoP' && this.dpop === 'disabled') credentials = undefined;
      if (credentials === undefined) return { kind: 'fail', challenge: wwwAuthenticate(this.challenge), status: 401 };
      scheme = credentials.scheme;
      const claims = await this.verifyPresentation(req, credentials);
      const verify = this.verify;
      const { user, info } =
        verify === undefined
          ? { user: claims, info: {} }
          : await runVerify(
              (done) =>
                this.passReqToCallback
                  ? (verify as BearerVerifyFunctionWithRequest)(req, claims, credentials.token, done)
                  : (verify as BearerVerifyFunction)(claims, credentials.token, done),
              { mayCallDone: this.verifyMayCallDone },
            );
      if (!user) throw new AccessTokenError('invalid_token', 'The application refused this access token');
      const authInfo: OktaBearerAuthInfo = { ...info, scopes: claims.scp, claims, tokenType: credentials.scheme };
      challengeOf.set(authInfo, this.challenge);
      return { kind: 'success', user, info: authInfo };
    } catch (err) {
      if (!(err instanceof AccessTokenError)) return { kind: 'error', error: asError(err) };
      const challenge = wwwAuthenticate(this.challenge, { error: err.error, description: err.description, scheme });
      return { kind: 'fail', challenge, status: err.status };
    }
  }

  /** The token's claims once it and, for the DPoP scheme, its proof passed every check. */
  private async verifyPresentation(req: OktaRequest, { scheme, token }: Credentials): Promise<OktaAccessTokenClaims> {
    if (scheme === 'Bearer' && this.dpop === 'required') {
      throw new AccessTokenError('invalid_token', 'This API accepts DPoP-bound access tokens only');
    }
    let proof: string | undefined;
    if (scheme === 'DPoP') {
      const count = headerCount(req, 'dpop');
      if (count === 0) throw new AccessTokenError('invalid_dpop_proof', 'The request has no DPoP proof');
      if (count > 1) throw new AccessTokenError('invalid_dpop_proof', 'The request carries several DPoP proofs');
      proof = req.headers.dpop as string;
    }
    const { claims, hash } = await this.verifyToken(token);
    const jkt = claims.cnf?.jkt;
    if (proof === undefined) {
      if (jkt !== undefined) {
        throw new AccessTokenError(
          'invalid_token',
          'The access token is DPoP-bound: present it with the DPoP scheme and a proof',
        );
      }
      return claims;
    }
    if (jkt === undefined) throw new AccessTokenError('invalid_token', 'The access token is not DPoP-bound');
    await this.proofs.verify(proof, { method: req.method ?? 'GET', url: this.requestURL(req), token, jkt, tokenHash: hash });
    return claims;
  }

  /**
   * The token's claims, and its SHA-256 (base64url) when it was computed on the way (a
   * proof's `ath`). A JWT of a custom authorization server is verified here; only what could
   * be an Okta token is sent to introspection: a JWT that passed the local checks (the org
   * server's, or with `introspect: 'always'`), or an opaque token. Anything else is refused
   * without a request to Okta.
   */
  private async verifyToken(token: string): Promise<{ claims: OktaAccessTokenClaims; hash?: string | undefined }> {
    const jwtShaped = token.includes('.');
    const keys = this.keys;
    if (jwtShaped && keys !== undefined && this.introspectMode !== 'always') {
      const published = (kid: string | undefined): string | undefined => keys.published(kid);
      const { key, claims } = this.verified.get(token, published);
      if (claims !== undefined) return { claims, hash: key };
      if (!looksLikeJwt(token)) throw new AccessTokenError('invalid_token', 'The access token is not a well-formed JWT');
      const verified = await verifyJwtAccessToken(token, keys, this.tokenSettings);
      this.verified.set(key, verified.claims, verified.kid, keys.published(verified.kid));
      return { claims: verified.claims, hash: key };
    }
    if (jwtShaped) precheckJwt(token, this.tokenSettings);
    else if (!looksOpaque(token))
      throw new AccessTokenError('invalid_token', 'The access token is neither a JWT nor an opaque token');
    if (this.introspector !== undefined) return { claims: await this.introspector.introspect(token) };
    throw new AccessTokenError('invalid_token', 'The access token is not a JWT of this authorization server');
  }

  /** Scheme, host and path of the request as the client addressed it, for `htu`. */
  private requestURL(req: OktaRequest): string {
    const raw = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    let path = raw.split(/[?#]/, 1)[0]!;
    if (!path.startsWith('/')) path = `/${path}`;
    if (this.origin !== undefined) return normalizeHtuCached(`${this.origin}${path}`) ?? '';
    const { protocol, host } = requestOrigin(req, this.trustProxy);
    if (this.allowedHosts !== undefined && (host === undefined || !this.allowedHosts.includes(host.toLowerCase()))) {
      throw new AccessTokenError('invalid_request', "The request's host is not among this API's allowedHosts");
    }
    return normalizeHtuCached(`${protocol}://${host ?? ''}${path}`) ?? '';
  }

  /**
   * Hands the outcome to Passport, which sets `WWW-Authenticate` from a string challenge on
   * 401 only: for 400 the header is set here. What Passport or the app throws then is not
   * left as an unhandled rejection: the response, if unanswered, gets a 500.
   */
  private report(req: OktaRequest, outcome: Outcome): void {
    try {
      switch (outcome.kind) {
        case 'success':
          return this.success(outcome.user, outcome.info);
        case 'fail': {
          const res = req.res;
          if (outcome.status !== 401 && res && !res.headersSent) res.setHeader('WWW-Authenticate', outcome.challenge);
          return this.fail(outcome.challenge, outcome.status);
        }
        case 'error': {
          const res = req.res;
          const retryAfter = retryAfterOf(outcome.error, this.tokenSettings.now());
          if (retryAfter !== undefined && res && !res.headersSent) res.setHeader('Retry-After', String(retryAfter));
          return this.error(outcome.error);
        }
      }
    } catch (err) {
      // Thrown by Passport or the app after the outcome was handed over: never an
      // unhandled rejection (which ends the process), and never a request left hanging.
      console.error('passport-okta-oidc: an exception was thrown after the API request outcome was handed to Passport:', err);
      if (req.res) endUnanswered(req.res);
    }
  }
}

/** The API's public origin, checked: an http(s) URL with nothing after the host. */
function apiOrigin(value: unknown): string {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.href !== `${url.origin}/`) {
    throw new ConfigurationError(`origin must be the API's public origin, such as "https://api.example.com" (no path)`);
  }
  return url.origin;
}

/** Whole seconds until a rate limit or an unavailable key set or store may be tried again, if the error says. */
function retryAfterOf(err: Error, now: number): number | undefined {
  const when =
    (err as { retryAt?: unknown }).retryAt ?? (err as { rateLimit?: { reset?: unknown } }).rateLimit?.reset ?? undefined;
  if (!(when instanceof Date)) return undefined;
  return Math.max(1, Math.ceil((when.getTime() - now) / 1000));
}

/** An Express-style middleware (typed without Express). */
export type ScopeMiddleware = (
  req: OktaRequest & { authInfo?: unknown },
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Lets the request through only if the access token `passport.authenticate('okta-bearer')`
 * accepted carries every one of `scopes`; otherwise answers 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` (RFC 6750 §3.1), on the
 * scheme the token came with.
 *
 * @example
 * ```ts
 * app.get('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read'), listOrders)
 * app.post('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read', 'orders:write'), addOrder)
 * ```
 */
export function requireScopes(...scopes: Array<string | readonly string[]>): ScopeMiddleware {
  const needed = scopes.flat();
  if (needed.length === 0 || needed.some((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s))) {
    throw new ConfigurationError('requireScopes needs one or more scopes such as "orders:read"');
  }
  const scope = needed.join(' ');
  return (req, res, next) => {
    const info = req.authInfo as Partial<OktaBearerAuthInfo> | undefined;
    const settings = info ? challengeOf.get(info) : undefined;
    if (!info || !settings || !Array.isArray(info.scopes)) {
      return next(
        new ConfigurationError("requireScopes must come after passport.authenticate('okta-bearer', { session: false })"),
      );
    }
    const granted = info.scopes;
    if (needed.every((s) => granted.includes(s))) return next();
    const description = 'The access token does not grant the scopes this request needs';
    res.statusCode = 403;
    res.setHeader(
      'WWW-Authenticate',
      wwwAuthenticate(settings, { error: 'insufficient_scope', description, scope, scheme: info.tokenType }),
    );
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('Forbidden');
  };
}
