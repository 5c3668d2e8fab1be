import { requestExtraParams } from '../client/authorize-params.js';
import { ConfigurationError, StateError } from '../core/errors.js';
import type { OktaClient } from '../client/client.js';
import type { OktaRequest } from '../passport/request.js';
import { warnIfSessionNotRestored, type SessionWarning } from '../passport/session-check.js';
import { OktaPassportStrategy, type Outcome } from '../passport/strategy-base.js';
import { asError, isThenable, verifyRunner } from '../passport/verify.js';
import { authorizationFailure, fail, readCallbackParams, type CallbackParams } from './callback.js';
import { Diagnosis } from './diagnose.js';
import { pendingLogin } from './pending-login.js';
import { observeCallback, tellStart } from './events.js';
import { callbackKey, checkSiblings, registerClaim, wrongArrival, type CallbackClaim } from './mix-up.js';
import {
  clientOptionsOf,
  resolveStrategyOptions,
  scopeList,
  type OktaAuthenticateOptions,
  type OktaStrategyOptions,
  type OktaStrategyOptionsWithRequest,
  type OktaTenantStrategyOptions,
  type OktaSuccessInfo,
  type StrategySettings,
  type VerifyFunction,
  type VerifyFunctionWithRequest,
} from './options.js';
import { loadProfile } from './profile.js';
import { HostError, RedirectURIs } from './redirect-uri.js';
import type { PendingLogin, StateStoreContext } from './state/store.js';
import { NO_ONE_ORG, Tenants, type Party } from './tenants.js';

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
  private readonly settings: StrategySettings;
  /** The one Okta org's client, redirect URIs and scopes; undefined with `tenant`. */
  private readonly party: Party | undefined;
  /** The Okta orgs chosen per sign-in (`tenant`). */
  private readonly tenants: Tenants | undefined;
  private readonly runVerify: (req: unknown, args: readonly unknown[]) => Promise<{ user: unknown; info: object }>;
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

  constructor(options: OktaStrategyOptions | (OktaTenantStrategyOptions & { passReqToCallback?: false }), verify: VerifyFunction);
  constructor(
    options: OktaStrategyOptionsWithRequest | (OktaTenantStrategyOptions & { passReqToCallback: true }),
    verify: VerifyFunctionWithRequest,
  );
  constructor(
    options: OktaStrategyOptions | OktaStrategyOptionsWithRequest | OktaTenantStrategyOptions,
    verify: VerifyFunction | VerifyFunctionWithRequest,
  ) {
    const settings = resolveStrategyOptions(options);
    super(settings.onReportError, 'sign-in');
    if (typeof verify !== 'function') throw new ConfigurationError('OktaStrategy needs a verify function');
    this.settings = settings;
    this.name = settings.name;
    this.runVerify = verifyRunner(verify, {
      passReqToCallback: settings.passReqToCallback,
      arguments: 2,
      timeoutMs: settings.verifyTimeout,
    });
    const redirectURIs = new RedirectURIs(settings.callbackURL, settings.allowedHosts, settings.trustProxy);
    const { client, tenant } = settings;
    this.party = client && { client, redirectURIs, scopes: settings.scopes };
    this.tenants =
      tenant && new Tenants(tenant.resolve, { ...settings, clientOptions: clientOptionsOf(options) }, tenant.max, tenant.timeout);
    this.callbackPath = new URL(settings.callbackURL, 'http://x').pathname;
    this.callbackClaim = {
      callback: settings.callbackURL,
      key: callbackKey(settings.callbackURL),
      strategy: this.name,
      issuer: client?.issuer ?? `the Okta orgs of strategy "${this.name}"`,
      requireIss: settings.requireIss,
    };
    registerClaim(this, this.callbackClaim);
    // With tenant, each org's key set is fetched beside its first token request instead.
    if (settings.prefetchKeys && this.party !== undefined) prefetchKeysOf(this.party.client);
    const authMethod = (options as OktaStrategyOptions).tokenEndpointAuthMethod ?? 'client_secret_basic';
    this.diagnosis = new Diagnosis(authMethod, settings.trustProxy);
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
    if (this.party === undefined) return Promise.reject(new ConfigurationError(NO_ONE_ORG.check));
    return this.party.client.check();
  }

  /**
   * The Okta client doing the protocol work; usable for refresh, revoke and logout.
   *
   * @throws {ConfigurationError} with `tenant`: each Okta org has its own client.
   */
  get client(): OktaClient {
    if (this.party === undefined) throw new ConfigurationError(NO_ONE_ORG.client);
    return this.party.client;
  }

  /** How many Okta orgs' clients a strategy with `tenant` holds. @internal */
  get tenantCount(): number {
    return this.tenants?.size ?? 0;
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
    this.settle(req, params === undefined ? this.start(req, options) : 'kind' in params ? params : this.observed(req, params));
  }

  /** The callback phase, told on the diagnostics channel (sign-in/events.ts). */
  private observed(req: OktaRequest, params: CallbackParams): Promise<Outcome> {
    return observeCallback(this.name, this.party?.client.issuer, () => this.callback(req, params));
  }

  protected override explain(err: Error): Error {
    return this.diagnosis.explain(err);
  }

  /**
   * Start phase: fresh state, PKCE verifier and nonce, kept in the store; redirect to Okta.
   * Synchronous unless the tenant resolver, the store's `save` or the authorization request
   * (PAR) is not.
   */
  private start(req: OktaRequest, options: OktaAuthenticateOptions): Outcome | Promise<Outcome> {
    try {
      checkSiblings(req, this.callbackClaim);
      if (this.party !== undefined) return this.startWith(req, options, this.party);
      if (this.tenants === undefined) throw new ConfigurationError('OktaStrategy has neither an Okta org nor a tenant resolver');
      return this.tenants.forStart(req).then((party) => this.startWith(req, options, party), startFailure);
    } catch (err) {
      return startFailure(err);
    }
  }

  private startWith(req: OktaRequest, options: OktaAuthenticateOptions, party: Party): Outcome | Promise<Outcome> {
    try {
      const { name: strategy, settings: s } = this;
      const login = pendingLogin(req, options, party, { strategy, ...s });
      this.diagnosis.noteStart(req, login.state, login.redirectURI);
      tellStart(this.name, party.client.issuer, this.settings.responseMode);
      const { settings } = this;
      const url = party.client.authorizationURL(login.state, login.codeVerifier, {
        scopes: options.scope === undefined ? party.scopes : scopeList(options.scope, 'scope'),
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

  private save(req: OktaRequest, login: PendingLogin, url: string): Outcome | Promise<Outcome> {
    const saved = this.settings.store.save(req, login);
    const redirect: Outcome = { kind: 'redirect', url };
    return isThenable(saved) ? Promise.resolve(saved).then(() => redirect, startFailure) : redirect;
  }

  /** Callback phase: match the state (one use), exchange the code, check, verify the user. */
  private async callback(req: OktaRequest, params: CallbackParams): Promise<Outcome> {
    try {
      const taken = await this.takeLogin(req, params);
      if (!('party' in taken)) return taken;
      const { login, party } = taken;
      if (params.error !== undefined) return authorizationFailure({ ...params, error: params.error }, login.appState);
      if (params.code === undefined) return fail('The sign-in callback has no code parameter', 400);
      const { tokens, claims } = await party.client.redeemAuthorizationCode(params.code, login.codeVerifier, {
        nonce: login.nonce,
        maxAge: login.maxAge,
        acrValues: login.acrValues,
        redirectURI: login.redirectURI,
      });
      const profile = await loadProfile(party.client, this.settings.userInfo, tokens, claims);
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
   * check, with the Okta org it was started with; or the refusal: unknown state, another
   * strategy or issuer, expired, arrived at another callback (RFC 9700 §4.4.2), or an `iss`
   * that is not this login's issuer (RFC 9207). With `tenant`, the org is the login's, never
   * one the callback request names.
   */
  private async takeLogin(req: OktaRequest, params: CallbackParams): Promise<{ login: PendingLogin; party: Party } | Outcome> {
    checkSiblings(req, this.callbackClaim);
    if (params.state === undefined) return fail('The sign-in callback has no state parameter', 403);
    const { party: single } = this;
    const context: StateStoreContext =
      single === undefined
        ? { strategy: this.name, issuer: '', tenants: true }
        : { strategy: this.name, issuer: single.client.issuer };
    const taken = this.settings.store.take(req, params.state, context);
    const login = isThenable(taken) ? await taken : taken;
    if (login === undefined) {
      const known = this.diagnosis.unknownState(req, params.state);
      if (known instanceof Error) return { kind: 'error', error: known };
      return fail(known ?? 'The sign-in state is unknown: it expired, was already used, or was not started in this browser', 403);
    }
    const refused = this.refusal(req, params, login);
    if (refused !== undefined) return fail(refused, 403);
    if (single !== undefined) return { login, party: single };
    // Only now, every check passed, is the org's client had (asking the resolver if need be).
    if (login.tenant === undefined || this.tenants === undefined) return fail('The sign-in was started without an Okta org', 403);
    return { login, party: await this.tenants.forLogin(req, login.tenant) };
  }

  /** Why a pending login taken for this callback may not finish here, if it may not. */
  private refusal(req: OktaRequest, params: CallbackParams, login: PendingLogin): string | undefined {
    const { tenant } = login;
    const issuer = this.party?.client.issuer;
    const foreign = issuer === undefined ? tenant?.issuer !== login.issuer : login.issuer !== issuer;
    if (login.strategy !== this.name || foreign)
      return 'The sign-in was started by another strategy or Okta authorization server';
    if (login.expiresAt <= this.settings.now()) return 'The sign-in took too long and expired; please start again';
    const misrouted = wrongArrival(req, login.redirectURI, this.settings.trustProxy);
    if (misrouted !== undefined) return misrouted;
    if (params.iss !== undefined && params.iss !== login.issuer) {
      return 'The callback names another issuer than the Okta authorization server of this sign-in';
    }
    if (params.iss === undefined && this.settings.requireIss) {
      return 'The callback has no iss parameter, which this strategy requires (requireIss)';
    }
    return undefined;
  }
}

/** Fetches the client's key set on the next turn of the event loop (after the app's set-up code), in the background. */
function prefetchKeysOf(client: OktaClient): void {
  setImmediate(() => {
    client.jwt.keys.prefetch();
  }).unref();
}

function startFailure(err: unknown): Outcome {
  if (err instanceof HostError) return fail(err.message, 400);
  return { kind: 'error', error: asError(err) };
}
