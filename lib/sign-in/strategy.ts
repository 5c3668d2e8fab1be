import type { OktaClient } from '../client/client.js';
import { requestExtraParams } from '../client/authorize-params.js';
import { ConfigurationError, StateError } from '../core/errors.js';
import type { OktaRequest } from '../passport/request.js';
import { warnIfSessionNotRestored, type SessionWarning } from '../passport/session-check.js';
import { OktaPassportStrategy, type Outcome } from '../passport/strategy-base.js';
import { asError, isThenable, verifyRunner } from '../passport/verify.js';
import { authorizationFailure, fail, readCallbackParams, type CallbackParams } from './callback.js';
import { Diagnosis } from './diagnose.js';
import { loginSecrets } from './login-secrets.js';
import { callbackKey, checkSiblings, registerClaim, wrongArrival, type CallbackClaim } from './mix-up.js';
import {
  resolveStrategyOptions,
  scopeList,
  type OktaAuthenticateOptions,
  type OktaStrategyOptions,
  type OktaStrategyOptionsWithRequest,
  type OktaSuccessInfo,
  type StrategySettings,
  type VerifyFunction,
  type VerifyFunctionWithRequest,
} from './options.js';
import { loadProfile } from './profile.js';
import { HostError, RedirectURIs } from './redirect-uri.js';
import type { PendingLogin } from './state/store.js';

const MAX_APP_STATE_BYTES = 2048;

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
export class OktaStrategy extends OktaPassportStrategy {
  override name: string;
  /** The Okta client doing the protocol work; usable for refresh, revoke and logout. */
  readonly client: OktaClient;
  private readonly settings: StrategySettings;
  private readonly runVerify: (req: unknown, args: readonly unknown[]) => Promise<{ user: unknown; info: object }>;
  private readonly redirectURIs: RedirectURIs;
  private readonly callbackClaim: CallbackClaim;
  /**
   * The callback's path, where a POSTed (form_post) callback is told from a sign-in form.
   * @internal
   */
  readonly callbackPath: string;
  /** Shared by the objects Passport derives from this strategy, so that the warning is given once. */
  private readonly sessionWarning: SessionWarning = { given: false };
  /** Names the cause of a lost sign-in or a refused client (sign-in/diagnose.ts). */
  private readonly diagnosis: Diagnosis;

  constructor(options: OktaStrategyOptions, verify: VerifyFunction);
  constructor(options: OktaStrategyOptionsWithRequest, verify: VerifyFunctionWithRequest);
  constructor(options: OktaStrategyOptions | OktaStrategyOptionsWithRequest, verify: VerifyFunction | VerifyFunctionWithRequest) {
    const settings = resolveStrategyOptions(options);
    super(settings.onReportError, 'sign-in');
    if (typeof verify !== 'function') throw new ConfigurationError('OktaStrategy needs a verify function');
    this.settings = settings;
    this.client = settings.client;
    this.name = settings.name;
    this.runVerify = verifyRunner(verify, {
      passReqToCallback: settings.passReqToCallback,
      arguments: 2,
      timeoutMs: settings.verifyTimeout,
    });
    this.redirectURIs = new RedirectURIs(settings.callbackURL, settings.allowedHosts, settings.trustProxy);
    this.callbackPath = new URL(settings.callbackURL, 'http://x').pathname;
    this.callbackClaim = {
      callback: settings.callbackURL,
      key: callbackKey(settings.callbackURL),
      strategy: this.name,
      issuer: this.client.issuer,
      requireIss: settings.requireIss,
    };
    registerClaim(this, this.callbackClaim);
    if (settings.prefetchKeys) prefetchKeysOf(this.client);
    this.diagnosis = new Diagnosis(options.tokenEndpointAuthMethod ?? 'client_secret_basic', settings.trustProxy);
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
      params = readCallbackParams(req, this.settings.responseMode, this.callbackPath);
    } catch (err) {
      params = { kind: 'error', error: asError(err) };
    }
    // Exactly one outcome per request, reported outside the phases' try blocks so that
    // an exception thrown by Passport or the app inside success() is not reported twice.
    // A start with a synchronous store (the default) is reported at once.
    this.settle(req, params === undefined ? this.start(req, options) : 'kind' in params ? params : this.callback(req, params));
  }

  protected override explain(err: Error): Error {
    return this.diagnosis.explain(err);
  }

  /**
   * Start phase: fresh state, PKCE verifier and nonce, kept in the store; redirect to Okta.
   * Synchronous unless the store's `save` or the authorization request (PAR) is not.
   */
  private start(req: OktaRequest, options: OktaAuthenticateOptions): Outcome | Promise<Outcome> {
    try {
      checkSiblings(req, this.callbackClaim);
      const login = this.pendingLogin(req, options);
      this.diagnosis.noteStart(req, login.state, login.redirectURI);
      const { settings } = this;
      const url = this.client.authorizationURL(login.state, login.codeVerifier, {
        scopes: options.scope === undefined ? settings.scopes : scopeList(options.scope, 'scope'),
        nonce: login.nonce,
        redirectURI: login.redirectURI,
        responseMode: settings.responseMode,
        prompt: options.prompt,
        loginHint: options.loginHint,
        maxAge: login.maxAge,
        acrValues: options.acrValues,
        idp: options.idp,
        sessionToken: options.sessionToken,
        extraParams:
          options.extraParams === undefined
            ? settings.extraParams
            : requestExtraParams(settings.extraParams, options.extraParams),
      });
      if (typeof url !== 'string') return url.then((pushed) => this.save(req, login, pushed)).catch(startFailure);
      return this.save(req, login, url);
    } catch (err) {
      return startFailure(err);
    }
  }

  private pendingLogin(req: OktaRequest, options: OktaAuthenticateOptions): PendingLogin {
    const { state, codeVerifier, nonce } = loginSecrets();
    const login: PendingLogin = {
      state,
      codeVerifier,
      nonce,
      redirectURI: this.redirectURIs.for(req),
      strategy: this.name,
      issuer: this.client.issuer,
      expiresAt: this.settings.now() + this.settings.stateMaxAge,
      responseMode: this.settings.responseMode,
    };
    if (options.maxAge !== undefined) {
      if (!Number.isInteger(options.maxAge) || options.maxAge < 0) {
        throw new ConfigurationError('maxAge must be a whole number of seconds >= 0');
      }
      login.maxAge = options.maxAge;
    }
    if (options.acrValues !== undefined) login.acrValues = options.acrValues;
    if (options.state !== undefined) login.appState = copyAppState(options.state);
    return login;
  }

  private save(req: OktaRequest, login: PendingLogin, url: string): Outcome | Promise<Outcome> {
    const saved = this.settings.store.save(req, login);
    const redirect: Outcome = { kind: 'redirect', url };
    return isThenable(saved) ? Promise.resolve(saved).then(() => redirect, startFailure) : redirect;
  }

  /** Callback phase: match the state (one use), exchange the code, check, verify the user. */
  private async callback(req: OktaRequest, params: CallbackParams): Promise<Outcome> {
    try {
      const taken = await this.takeLogin(req, params);
      if (!('codeVerifier' in taken)) return taken;
      const login = taken;
      if (params.error !== undefined) return authorizationFailure({ ...params, error: params.error }, login.appState);
      if (params.code === undefined) return fail('The sign-in callback has no code parameter', 400);
      const { tokens, claims } = await this.client.redeemAuthorizationCode(params.code, login.codeVerifier, {
        nonce: login.nonce,
        maxAge: login.maxAge,
        acrValues: login.acrValues,
        redirectURI: login.redirectURI,
      });
      const profile = await loadProfile(this.client, this.settings.userInfo, tokens, claims);
      const { user, info } = await this.runVerify(req, [tokens, profile]);
      if (!user) return { kind: 'fail', challenge: { message: 'The application refused this user', ...info }, status: 401 };
      const successInfo: OktaSuccessInfo = { ...info, claims: profile._json };
      if (login.appState !== undefined) successInfo.state = login.appState;
      return { kind: 'success', user, info: successInfo };
    } catch (err) {
      if (err instanceof StateError) return fail(err.message, 403);
      return { kind: 'error', error: asError(err) };
    }
  }

  /**
   * The pending login this callback finishes, taken out of the store (one use) before any
   * check, or the refusal: unknown state, another strategy or issuer, expired, arrived at
   * another callback (RFC 9700 §4.4.2), or an `iss` that is not this issuer (RFC 9207).
   */
  private async takeLogin(req: OktaRequest, params: CallbackParams): Promise<PendingLogin | Outcome> {
    checkSiblings(req, this.callbackClaim);
    if (params.state === undefined) return fail('The sign-in callback has no state parameter', 403);
    const taken = this.settings.store.take(req, params.state, { strategy: this.name, issuer: this.client.issuer });
    const login = isThenable(taken) ? await taken : taken;
    if (login === undefined) {
      const known = this.diagnosis.unknownState(req, params.state);
      if (known instanceof Error) return { kind: 'error', error: known };
      return fail(known ?? 'The sign-in state is unknown: it expired, was already used, or was not started in this browser', 403);
    }
    if (login.strategy !== this.name || login.issuer !== this.client.issuer) {
      return fail('The sign-in was started by another strategy or Okta authorization server', 403);
    }
    if (login.expiresAt <= this.settings.now()) return fail('The sign-in took too long and expired; please start again', 403);
    const misrouted = wrongArrival(req, login.redirectURI, this.settings.trustProxy);
    if (misrouted !== undefined) return fail(misrouted, 403);
    if (params.iss !== undefined && params.iss !== this.client.issuer) {
      return fail('The callback names another issuer than this Okta authorization server', 403);
    }
    if (params.iss === undefined && this.settings.requireIss) {
      return fail('The callback has no iss parameter, which this strategy requires (requireIss)', 403);
    }
    return login;
  }
}

/** Fetches the client's key set on the next turn of the event loop (after the app's set-up code), in the background. */
function prefetchKeysOf(client: OktaClient): void {
  setImmediate(() => {
    client.jwt.keys.prefetch();
  }).unref();
}

function copyAppState(state: unknown): unknown {
  // A string, or undefined for undefined, a function or a symbol (which TypeScript's lib does not say).
  let json: unknown;
  try {
    json = JSON.stringify(state);
  } catch (err) {
    throw new ConfigurationError('The state option must be JSON-serializable', { cause: err });
  }
  if (typeof json !== 'string') throw new ConfigurationError('The state option must be JSON-serializable');
  if (Buffer.byteLength(json) > MAX_APP_STATE_BYTES) {
    throw new ConfigurationError(`The state option must be at most ${MAX_APP_STATE_BYTES} bytes of JSON`);
  }
  return JSON.parse(json) as unknown;
}

function startFailure(err: unknown): Outcome {
  if (err instanceof HostError) return fail(err.message, 400);
  return { kind: 'error', error: asError(err) };
}
