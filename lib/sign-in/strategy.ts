import { OktaClient, type OktaClientOptions, type UserInfo } from '../client/client.js';
import { checkExtraParams, requestExtraParams } from '../client/authorize-params.js';
import { Diagnosis } from './diagnose.js';
import { AuthorizationError, ConfigurationError, StateError, TokenError, UserInfoError } from '../core/errors.js';
import type { IdTokenClaims } from '../client/id-token.js';
import { absoluteURL, requestOrigin, requestPath } from '../passport/request.js';
import { endUnanswered } from '../passport/response.js';
import { callbackKey, checkSiblings, registerClaim, wrongArrival, type CallbackClaim } from './mix-up.js';
import { checkCallbackURL, checkOptionNames, clientOptionsOf, STRATEGY_OPTION_NAMES } from '../core/options.js';
import { PassportStrategy, type FailureChallenge } from '../passport/strategy-base.js';
import { toProfile, type OktaProfile } from './profile.js';
import { loginSecrets } from '../core/random.js';
import type { OktaRequest } from '../passport/request.js';
import { warnIfSessionNotRestored, type SessionWarning } from '../passport/session-check.js';
import { SessionStateStore } from './state/session.js';
import type { PendingLogin, StateStore } from './state/store.js';
import type { OktaTokens } from '../client/tokens.js';
import { asError, isThenable, mayCallDone, runVerify, type VerifyCallback } from '../passport/verify.js';

export type { VerifyCallback } from '../passport/verify.js';

/** Resolved value: the user; `false`/`undefined` fails the sign-in. */
export type VerifyResult = void | Promise<unknown>;

/**
 * Finds or creates the app's user for a verified Okta sign-in. Call `done(err, user,
 * info)`, or leave `done` out and return a promise of the user (`false` to refuse).
 */
export type VerifyFunction = (tokens: OktaTokens, profile: OktaProfile, done: VerifyCallback) => VerifyResult;

/**
 * {@link VerifyFunction} with the request first (`passReqToCallback: true`). The
 * request parameter may be typed as your framework's request (e.g. `express.Request`).
 */
export type VerifyFunctionWithRequest<Req extends OktaRequest = OktaRequest> = {
  // Method syntax keeps `req` bivariant, so `(req: express.Request, ...)` is accepted.
  verify(req: Req, tokens: OktaTokens, profile: OktaProfile, done: VerifyCallback): VerifyResult;
}['verify'];

/** Options of {@link OktaStrategy}. Client options (timeout, fetch, ...) apply too. */
export interface OktaStrategyOptions extends OktaClientOptions {
  /** `https://acme.okta.com` or `acme.okta.com`. */
  oktaDomain: string;
  /** The Okta application's client id. */
  clientID: string;
  /** The Okta application's client secret (not needed for `private_key_jwt` or `none`). */
  clientSecret?: string | undefined;
  /** Absolute URL, or a path resolved against the request (`/auth/okta/callback`). */
  callbackURL: string;
  /** Scopes to ask for; `openid` is always included. Default `['openid', 'profile', 'email']`. */
  scope?: string | readonly string[] | undefined;
  /** Strategy name for `passport.authenticate(name)`. Default `'okta'`. */
  name?: string | undefined;
  /**
   * Fetch `/v1/userinfo` after the token exchange: `true`, `false`, or `'auto'` (default):
   * only when a granted scope (`profile`, `email`, `groups`) promises claims the ID token
   * lacks, and one of `profile`, `email`, `address`, `phone` was granted (Okta answers 403
   * otherwise); a 403 `insufficient_scope` then leaves the profile to the ID token.
   */
  userInfo?: boolean | 'auto' | undefined;
  /** `query` (default) or `form_post` (needs `express.urlencoded()` on the callback route). */
  responseMode?: 'query' | 'form_post' | undefined;
  /** Where pending logins wait for their callback. Default: the session. */
  store?: StateStore | undefined;
  /** Milliseconds a started sign-in may take before its callback is refused. Default 600000. */
  stateMaxAge?: number | undefined;
  /**
   * Refuse a callback without the `iss` parameter (RFC 9207). Set it only for servers that
   * always send `iss`; it is checked whenever present anyway. It also lets strategies of
   * different authorization servers share one `callbackURL` (both must set it).
   */
  requireIss?: boolean | undefined;
  /**
   * Told of an exception thrown after the outcome was handed to Passport (by the app's
   * custom callback, or a response that was already sent). Default: `console.error`.
   * The request never ends the process either way.
   */
  onReportError?: ((err: Error, req: OktaRequest) => void) | undefined;
  /**
   * Milliseconds the verify function may take to call `done` or resolve to a user before
   * the sign-in ends in an error. Default 30000.
   */
  verifyTimeout?: number | undefined;
  /**
   * With a path `callbackURL`, the hosts (`app.example.com`, `localhost:3000`) it may be
   * resolved against; a request for any other host is refused (400). Recommended unless
   * `callbackURL` is absolute, which is the safest choice in production.
   */
  allowedHosts?: readonly string[] | undefined;
  /**
   * Resolve a path `callbackURL` against `X-Forwarded-Proto` and `X-Forwarded-Host` (their
   * first values): only behind a proxy that sets them. Default false: the `Host` header, and
   * `req.protocol` (which honours Express's own `trust proxy`) or the socket.
   */
  trustProxy?: boolean | undefined;
  /**
   * More authorization request parameters Okta understands, sent with every sign-in:
   * `ui_locales`, `display`, `idp_scope`, `enroll_amr_values` (with `prompt:
   * 'enroll_authenticator'`), `request`... Names the protocol owns (`state`, `nonce`,
   * `scope`, `redirect_uri`, `max_age`, `acr_values`...) are refused at construction.
   */
  extraParams?: Readonly<Record<string, string>> | undefined;
  /** Pass the request as the verify function's first argument. */
  passReqToCallback?: false | undefined;
}

/** {@link OktaStrategyOptions} with `passReqToCallback: true`. */
export interface OktaStrategyOptionsWithRequest extends Omit<OktaStrategyOptions, 'passReqToCallback'> {
  passReqToCallback: true;
}

/** Per-request options: `passport.authenticate('okta', { ... })`. */
export interface OktaAuthenticateOptions {
  /** Scopes for this sign-in instead of the strategy's. */
  scope?: string | string[] | undefined;
  /** `none`, `login`, `consent` or `login consent`. */
  prompt?: string | undefined;
  /** Pre-fills the username on Okta's sign-in page. */
  loginHint?: string | undefined;
  /** Seconds: re-authenticate if the last sign-in is older; `auth_time` is then checked. */
  maxAge?: number | undefined;
  /** Authentication context classes, e.g. `urn:okta:loa:2fa:any`. */
  acrValues?: string | undefined;
  /** Okta identity provider id to route the sign-in to. */
  idp?: string | undefined;
  /** An Okta session token (Authentication API) that signs the user in without Okta's page. */
  sessionToken?: string | undefined;
  /** Application data (JSON, up to 2 KiB) returned as `info.state` on success. Never trust it for redirects unchecked. */
  state?: unknown;
  /**
   * Authorization request parameters for this sign-in, over the strategy's `extraParams`
   * (e.g. `{ ui_locales: req.acceptsLanguages()[0] }`). Names the protocol owns are ignored.
   */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/** `info` passed to Passport on success: the verify function's info, plus `state`. */
export interface OktaSuccessInfo {
  state?: unknown;
  [key: string]: unknown;
}

/**
 * Okta redirect errors that mean "this user did not sign in", not "something broke": a
 * sign-in failure (`failureRedirect`, with Okta's description), never an error page. The
 * user could not meet `acr_values` (step-up: `unmet_authentication_requirements`), Okta
 * could not create the user just in time (`jit_failure`), was not assigned, cancelled, is
 * outside the network zones... `server_error`, `temporarily_unavailable`, `invalid_scope`
 * and the like stay errors: the app or Okta must change.
 */
const USER_FACING_ERRORS = new Set([
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'user_canceled_request',
  'unmet_authentication_requirements',
  'jit_failure',
]);
/** Scopes whose claims Okta's `/userinfo` gives; without one of them it answers 403 `insufficient_scope`. */
const USERINFO_SCOPES = ['profile', 'email', 'address', 'phone'];
const DEFAULT_SCOPES = ['openid', 'profile', 'email'];
/** Claims about the token and the authentication, which only the verified ID token may set. */
const TOKEN_CLAIMS = new Set([
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'auth_time',
  'acr',
  'amr',
  'sid',
  'at_hash',
  'c_hash',
  'cnf',
]);
const MAX_APP_STATE_BYTES = 2048;
const MAX_PARAM_LENGTH = 4096;
const CALLBACK_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'] as const;
type CallbackParams = Partial<Record<(typeof CALLBACK_PARAMS)[number], string>>;

type Outcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown; info: OktaSuccessInfo }
  | { kind: 'fail'; challenge: FailureChallenge; status: number }
  | { kind: 'error'; error: Error };

/** A request for a host that `allowedHosts` does not list: the request's fault, not the setup's. */
class HostError extends Error {}

const fail = (message: string, status: number): Outcome => ({ kind: 'fail', challenge: { message }, status });

/**
 * Passport strategy for signing in with Okta over OpenID Connect: authorization code
 * flow with PKCE S256, `state` and `nonce`, and a verified ID token.
 *
 * @example
 * ```ts
 * passport.use(new OktaStrategy({
 *   oktaDomain: 'https://acme.okta.com', authServerId: 'default',
 *   clientID, clientSecret, callbackURL: '/auth/okta/callback',
 * }, async (tokens, profile) => findOrCreateUser(profile)))
 * app.get('/login', passport.authenticate('okta'))
 * app.get('/auth/okta/callback', passport.authenticate('okta', { failureRedirect: '/login-failed' }), ...)
 * ```
 */
export class OktaStrategy extends PassportStrategy {
  override name: string;
  /** The Okta client doing the protocol work; usable for refresh, revoke and logout. */
  readonly client: OktaClient;
  private readonly verify: VerifyFunction | VerifyFunctionWithRequest;
  private readonly passReqToCallback: boolean;
  /** Declares `done` (or a rest parameter): a promise resolving to undefined then waits for it. */
  private readonly verifyMayCallDone: boolean;
  private readonly verifyTimeout: number;
  private readonly trustProxy: boolean;
  private readonly allowedHosts: readonly string[] | undefined;
  private readonly callbackURL: string;
  private readonly scopes: readonly string[];
  private readonly extraParams: Readonly<Record<string, string>>;
  private readonly userInfo: boolean | 'auto';
  private readonly responseMode: 'query' | 'form_post';
  private readonly store: StateStore;
  private readonly stateMaxAge: number;
  private readonly requireIss: boolean;
  private readonly callbackClaim: CallbackClaim;
  /** The callback's path, where a POSTed (form_post) callback is told from a sign-in form. */
  private readonly callbackPath: string;
  private readonly onReportError: (err: Error, req: OktaRequest) => void;
  private readonly now: () => number;
  /** The callback URL: absolute, or resolved per request origin (shared by the objects Passport derives). */
  private readonly resolved: { absolute: boolean; byOrigin: Map<string, string> };
  /** Shared by the objects Passport derives from this strategy, so that the warning is given once. */
  private readonly sessionWarning: SessionWarning = { given: false };
  /** Names the cause of a lost sign-in or a refused client (lib/diagnose.ts). */
  private readonly diagnosis: Diagnosis;

  constructor(options: OktaStrategyOptions, verify: VerifyFunction);
  constructor(options: OktaStrategyOptionsWithRequest, verify: VerifyFunctionWithRequest);
  constructor(options: OktaStrategyOptions | OktaStrategyOptionsWithRequest, verify: VerifyFunction | VerifyFunctionWithRequest) {
    super();
    if (!options || typeof options !== 'object') throw new ConfigurationError('OktaStrategy needs an options object');
    if (typeof verify !== 'function') throw new ConfigurationError('OktaStrategy needs a verify function');
    checkOptionNames('OktaStrategy', options, STRATEGY_OPTION_NAMES);
    if (typeof options.callbackURL !== 'string' || options.callbackURL === '') {
      throw new ConfigurationError('callbackURL is required, e.g. "/auth/okta/callback"');
    }
    checkCallbackURL(options.callbackURL);
    const { oktaDomain, clientID, clientSecret, callbackURL } = options;
    // The client needs an absolute redirect URI; a path is resolved per request.
    this.client = new OktaClient(oktaDomain, clientID, clientSecret, callbackURL, clientOptionsOf(options));
    this.name = options.name ?? 'okta';
    this.verify = verify;
    this.passReqToCallback = options.passReqToCallback === true;
    this.verifyMayCallDone = mayCallDone(verify, this.passReqToCallback ? 4 : 3);
    this.verifyTimeout = options.verifyTimeout ?? 30_000;
    this.trustProxy = options.trustProxy === true;
    if (options.allowedHosts !== undefined) {
      if (!Array.isArray(options.allowedHosts) || options.allowedHosts.some((h) => typeof h !== 'string' || h === '')) {
        throw new ConfigurationError('allowedHosts must be a list of host names, e.g. ["app.example.com", "localhost:3000"]');
      }
      this.allowedHosts = options.allowedHosts.map((h) => h.toLowerCase());
    }
    if (!(this.verifyTimeout > 0)) throw new ConfigurationError('verifyTimeout must be a positive number of milliseconds');
    this.callbackURL = callbackURL;
    this.resolved = { absolute: URL.canParse(callbackURL), byOrigin: new Map() };
    this.scopes = scopeList(options.scope ?? DEFAULT_SCOPES, 'scope');
    this.extraParams = checkExtraParams(options.extraParams, 'OktaStrategy');
    this.userInfo = options.userInfo ?? 'auto';
    if (this.userInfo !== true && this.userInfo !== false && this.userInfo !== 'auto') {
      throw new ConfigurationError('userInfo must be true, false or "auto"');
    }
    this.responseMode = options.responseMode ?? 'query';
    if (this.responseMode !== 'query' && this.responseMode !== 'form_post') {
      throw new ConfigurationError('responseMode must be "query" or "form_post"');
    }
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new SessionStateStore({ now: this.now });
    if (typeof this.store.save !== 'function' || typeof this.store.take !== 'function') {
      throw new ConfigurationError('store must implement save(req, login) and take(req, state, context)');
    }
    this.stateMaxAge = options.stateMaxAge ?? 600_000;
    if (!(this.stateMaxAge > 0)) throw new ConfigurationError('stateMaxAge must be a positive number of milliseconds');
    this.requireIss = options.requireIss === true;
    this.callbackPath = new URL(callbackURL, 'http://x').pathname;
    this.callbackClaim = {
      callback: callbackURL,
      key: callbackKey(callbackURL),
      strategy: this.name,
      issuer: this.client.issuer,
      requireIss: this.requireIss,
    };
    registerClaim(this, this.callbackClaim);
    if (options.onReportError !== undefined && typeof options.onReportError !== 'function') {
      throw new ConfigurationError('onReportError must be a function');
    }
    this.onReportError = options.onReportError ?? logReportError;
    this.diagnosis = new Diagnosis(options.tokenEndpointAuthMethod ?? 'client_secret_basic', this.trustProxy);
  }

  /**
   * Checks the settings against Okta now, rather than at the first sign-in: fetches the key
   * set and, for a custom authorization server, its discovery document, whose issuer must be
   * the one ID tokens are checked against. Optional; call it once at start-up.
   *
   * @throws {ConfigurationError} A setting is probably wrong: the message names `oktaDomain`,
   * `authServerId` or the network between this app and Okta. Okta's own failures (5xx, 429)
   * keep their class.
   * @example
   * ```ts
   * app.listen(3000, () => strategy.check().then(() => console.log('ready'), (err) => { console.error(err.message); process.exit(1) }))
   * ```
   */
  check(): Promise<void> {
    return this.client.check();
  }

  /** Called by Passport: starts a sign-in, or finishes one when Okta calls back. */
  override authenticate(req: OktaRequest, options: OktaAuthenticateOptions = {}): void {
    warnIfSessionNotRestored(req, this.sessionWarning);
    let params: CallbackParams | Outcome | undefined;
    try {
      params = readCallbackParams(req, this.responseMode, this.callbackPath);
    } catch (err) {
      params = { kind: 'error', error: asError(err) };
    }
    const phase = params === undefined ? this.start(req, options) : 'kind' in params ? params : this.callback(req, params);
    // Exactly one outcome per request, reported outside the phases' try blocks so that
    // an exception thrown by Passport or the app inside success() is not reported twice.
    // A start with a synchronous store (the default) is reported at once.
    if (!isThenable(phase)) return this.report(req, phase);
    void phase.then(
      (outcome) => this.report(req, outcome),
      (err: unknown) => this.report(req, { kind: 'error', error: asError(err) }),
    );
  }

  /**
   * Start phase: fresh state, PKCE verifier and nonce, kept in the store; redirect to Okta.
   * Synchronous unless the store's `save` or the authorization request (PAR) is not.
   */
  private start(req: OktaRequest, options: OktaAuthenticateOptions): Outcome | Promise<Outcome> {
    try {
      checkSiblings(req, this.callbackClaim);
      const { state, codeVerifier, nonce } = loginSecrets();
      const login: PendingLogin = {
        state,
        codeVerifier,
        nonce,
        redirectURI: this.redirectURIFor(req),
        strategy: this.name,
        issuer: this.client.issuer,
        expiresAt: this.now() + this.stateMaxAge,
        responseMode: this.responseMode,
      };
      if (options.maxAge !== undefined) {
        if (!Number.isInteger(options.maxAge) || options.maxAge < 0)
          throw new ConfigurationError('maxAge must be a whole number of seconds >= 0');
        login.maxAge = options.maxAge;
      }
      if (options.acrValues !== undefined) login.acrValues = options.acrValues;
      if (options.state !== undefined) login.appState = copyAppState(options.state);
      this.diagnosis.noteStart(req, state, login.redirectURI);
      const url = this.client.authorizationURL(state, codeVerifier, {
        scopes: options.scope === undefined ? this.scopes : scopeList(options.scope, 'scope'),
        nonce: login.nonce,
        redirectURI: login.redirectURI,
        responseMode: this.responseMode,
        prompt: options.prompt,
        loginHint: options.loginHint,
        maxAge: login.maxAge,
        acrValues: options.acrValues,
        idp: options.idp,
        sessionToken: options.sessionToken,
        extraParams:
          options.extraParams === undefined ? this.extraParams : requestExtraParams(this.extraParams, options.extraParams),
      });
      if (typeof url !== 'string') return url.then((pushed) => this.save(req, login, pushed)).catch(startFailure);
      return this.save(req, login, url);
    } catch (err) {
      return startFailure(err);
    }
  }

  private save(req: OktaRequest, login: PendingLogin, url: string): Outcome | Promise<Outcome> {
    const saved = this.store.save(req, login);
    const redirect: Outcome = { kind: 'redirect', url };
    return isThenable(saved) ? Promise.resolve(saved).then(() => redirect, startFailure) : redirect;
  }

  /** Callback phase: match the state (one use), exchange the code, check, verify the user. */
  private async callback(req: OktaRequest, params: CallbackParams): Promise<Outcome> {
    try {
      checkSiblings(req, this.callbackClaim);
      if (params.state === undefined) return fail('The sign-in callback has no state parameter', 403);
      const taken = this.store.take(req, params.state, { strategy: this.name, issuer: this.client.issuer });
      const login = isThenable(taken) ? await taken : taken;
      if (login === undefined) {
        const known = this.diagnosis.unknownState(req, params.state);
        if (known instanceof Error) return { kind: 'error', error: known };
        return fail(
          known ?? 'The sign-in state is unknown: it expired, was already used, or was not started in this browser',
          403,
        );
      }
      if (login.strategy !== this.name || login.issuer !== this.client.issuer) {
        return fail('The sign-in was started by another strategy or Okta authorization server', 403);
      }
      if (login.expiresAt <= this.now()) return fail('The sign-in took too long and expired; please start again', 403);
      const misrouted = wrongArrival(req, login.redirectURI, this.trustProxy);
      if (misrouted !== undefined) return fail(misrouted, 403);
      if (params.iss !== undefined && params.iss !== this.client.issuer) {
        return fail('The callback names another issuer than this Okta authorization server', 403);
      }
      if (params.iss === undefined && this.requireIss) {
        return fail('The callback has no iss parameter, which this strategy requires (requireIss)', 403);
      }
      if (params.error !== undefined) {
        const error = new AuthorizationError({
          error: params.error,
          description: params.error_description,
          uri: params.error_uri,
        });
        if (USER_FACING_ERRORS.has(params.error)) return fail(error.description ?? error.error, 403);
        return { kind: 'error', error };
      }
      if (params.code === undefined) return fail('The sign-in callback has no code parameter', 400);

      const { tokens, claims } = await this.client.redeemAuthorizationCode(params.code, login.codeVerifier, {
        nonce: login.nonce,
        maxAge: login.maxAge,
        acrValues: login.acrValues,
        redirectURI: login.redirectURI,
      });
      const profile = await this.loadProfile(tokens, claims);
      const { user, info } = await runVerify(
        (done) =>
          this.passReqToCallback
            ? (this.verify as VerifyFunctionWithRequest)(req, tokens, profile, done)
            : (this.verify as VerifyFunction)(tokens, profile, done),
        { mayCallDone: this.verifyMayCallDone, timeoutMs: this.verifyTimeout },
      );
      if (!user) return { kind: 'fail', challenge: { message: 'The application refused this user', ...info }, status: 401 };
      const successInfo: OktaSuccessInfo = { ...info };
      if (login.appState !== undefined) successInfo.state = login.appState;
      return { kind: 'success', user, info: successInfo };
    } catch (err) {
      if (err instanceof StateError) return fail(err.message, 403);
      return { kind: 'error', error: asError(err) };
    }
  }

  private async loadProfile(tokens: OktaTokens, claims: IdTokenClaims): Promise<OktaProfile> {
    if (!this.wantsUserInfo(tokens.scopes, claims)) return toProfile(claims, JSON.stringify(claims));
    let userInfo: UserInfo;
    try {
      userInfo = await this.client.fetchUserInfo(tokens.accessToken);
    } catch (err) {
      // 'auto' asked for extra profile claims the ID token lacks; Okta saying the token's
      // scopes give none is no reason to refuse a sign-in whose ID token is valid.
      if (this.userInfo === 'auto' && err instanceof TokenError && err.error === 'insufficient_scope') {
        return toProfile(claims, JSON.stringify(claims));
      }
      throw err;
    }
    if (userInfo.sub !== claims.sub) {
      throw new UserInfoError('The userinfo answer is for another user than the ID token (sub differs)');
    }
    // userinfo is not signed: it may add profile claims, never replace the ID token's
    // verified ones, nor bring claims that only a signed token can vouch for.
    const added: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(userInfo)) if (!TOKEN_CLAIMS.has(name)) added[name] = value;
    return toProfile({ ...added, ...claims }, JSON.stringify(userInfo));
  }

  private wantsUserInfo(scopes: readonly string[], claims: IdTokenClaims): boolean {
    if (this.userInfo !== 'auto') return this.userInfo;
    // Okta refuses /userinfo (403 insufficient_scope) unless one of these was granted.
    if (!scopes.some((scope) => USERINFO_SCOPES.includes(scope))) return false;
    return (
      (scopes.includes('profile') && claims.given_name === undefined && claims.family_name === undefined) ||
      (scopes.includes('email') && claims.email_verified === undefined) ||
      (scopes.includes('groups') && claims.groups === undefined)
    );
  }

  /**
   * Hands the outcome to Passport. Whatever Passport or the app then throws (a custom
   * callback's bug, a response already sent by a timeout) must not become an unhandled
   * rejection, which ends the process: it is reported once, to `onReportError`, and a
   * response left unanswered gets a 500.
   */
  private report(req: OktaRequest, outcome: Outcome): void {
    try {
      switch (outcome.kind) {
        case 'redirect':
          return this.redirect(outcome.url);
        case 'success':
          return this.success(outcome.user, outcome.info);
        case 'fail':
          return this.fail(outcome.challenge, outcome.status);
        case 'error':
          return this.error(this.diagnosis.explain(outcome.error));
      }
    } catch (err) {
      try {
        this.onReportError(asError(err), req);
      } catch {
        // The app's own logger failed: there is nobody left to tell.
      }
      if (req.res) endUnanswered(req.res);
    }
  }

  private redirectURIFor(req: OktaRequest): string {
    if (this.resolved.absolute) return this.callbackURL;
    const { protocol, host } = requestOrigin(req, this.trustProxy);
    if (!host) throw new ConfigurationError('callbackURL is a path, but the request has no Host header to resolve it against');
    // Remembered per origin once it passed the checks below (bounded: hosts come from requests).
    const origin = `${protocol}://${host}`;
    let uri = this.resolved.byOrigin.get(origin);
    if (uri !== undefined) return uri;
    if (this.allowedHosts !== undefined && !this.allowedHosts.includes(host.toLowerCase())) {
      throw new HostError(`The request's host is not among allowedHosts, so callbackURL cannot be resolved against it`);
    }
    uri = absoluteURL(req, this.callbackURL, this.trustProxy);
    if (this.resolved.byOrigin.size >= 64) this.resolved.byOrigin.clear();
    this.resolved.byOrigin.set(origin, uri);
    return uri;
  }
}

/**
 * Reads the callback parameters from the query string, or from the body of a POST
 * (form_post). Returns undefined when the request is not a callback (no code, no error).
 */
function readCallbackParams(req: OktaRequest, responseMode: string, callbackPath: string): CallbackParams | Outcome | undefined {
  let source: unknown;
  if (req.method === 'POST') {
    source = req.body;
    if (source === undefined) {
      // Only the callback is a callback: a POST elsewhere (a sign-in form) starts a sign-in.
      if (responseMode !== 'form_post' || requestPath(req) !== callbackPath) return undefined;
      throw new ConfigurationError(
        'The callback was POSTed (form_post) but req.body is not parsed: add express.urlencoded() to the callback route',
      );
    }
  } else {
    source = req.query ?? Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  }
  if (source === null || typeof source !== 'object') return undefined;
  const raw = source as Record<string, unknown>;
  if (raw.code === undefined && raw.error === undefined) return undefined;
  const params: CallbackParams = {};
  for (const name of CALLBACK_PARAMS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return fail(`The sign-in callback parameter ${name} is repeated or malformed`, 400);
    if (value.length > MAX_PARAM_LENGTH) return fail(`The sign-in callback parameter ${name} is too long`, 400);
    params[name] = value;
  }
  return params;
}

function scopeList(scope: string | readonly string[], name: string): string[] {
  const list = typeof scope === 'string' ? scope.split(' ') : scope;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new ConfigurationError(`${name} must be a string or an array of strings`);
  }
  return list.filter(Boolean);
}

function copyAppState(state: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch (err) {
    throw new ConfigurationError('The state option must be JSON-serializable', { cause: err });
  }
  if (json === undefined) throw new ConfigurationError('The state option must be JSON-serializable');
  if (Buffer.byteLength(json) > MAX_APP_STATE_BYTES) {
    throw new ConfigurationError(`The state option must be at most ${MAX_APP_STATE_BYTES} bytes of JSON`);
  }
  return JSON.parse(json) as unknown;
}

function startFailure(err: unknown): Outcome {
  if (err instanceof HostError) return fail(err.message, 400);
  return { kind: 'error', error: asError(err) };
}

function logReportError(err: Error): void {
  console.error('passport-okta-oidc: an exception was thrown after the sign-in outcome was handed to Passport:', err);
}
