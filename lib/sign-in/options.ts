import { OktaClient, type OktaClientOptions } from '../client/client.js';
import { CLIENT_OPTION_NAMES } from '../client/options.js';
import { checkExtraParams } from '../client/authorize-params.js';
import type { OktaTokens } from '../client/tokens.js';
import { ConfigurationError } from '../core/errors.js';
import { check, checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import type { ReportErrorHandler } from '../passport/strategy-base.js';
import type { VerifyCallback, VerifyResult } from '../passport/verify.js';
import type { OktaProfile } from './profile.js';
import { checkCallbackURL, scopeList, tenantOption } from './option-checks.js';
import type { TenantOwnedOption, TenantResolver } from './tenant-types.js';

export { scopeList } from './option-checks.js';
import { SessionStateStore } from './state/session.js';
import type { StateStore } from './state/store.js';

export type { VerifyCallback, VerifyResult } from '../passport/verify.js';

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
  /**
   * Fetch Okta's key set in the background as soon as the strategy is made, so that the first
   * sign-in does not wait for it. A failure warns once on `console.warn` and the first sign-in
   * fetches the set again. Default `true`; `false` fetches it at the first callback, beside the
   * token request.
   */
  prefetchKeys?: boolean | undefined;
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

/**
 * Options of an {@link OktaStrategy} that chooses the Okta org (tenant) of each sign-in
 * with `tenant` (see docs/tenants.md). The org's settings come from the resolver; the
 * other options apply to every org.
 */
export interface OktaTenantStrategyOptions extends Omit<OktaStrategyOptions, TenantOwnedOption | 'passReqToCallback'> {
  /** Chooses the org of a sign-in at its start; its callback finishes with that org only. */
  tenant: TenantResolver;
  /** Most orgs whose clients (and key caches) are kept at once, the least recently used going first. Default 100. */
  maxTenants?: number | undefined;
  /**
   * Milliseconds to wait for the resolver (it may read a database) before the request fails
   * with a `StoreUnavailableError` (503). Default 5000.
   */
  tenantTimeout?: number | undefined;
  /** Pass the request as the verify function's first argument. */
  passReqToCallback?: boolean | undefined;
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
  /** The `state` option the sign-in was started with, if any. */
  state?: unknown;
  /**
   * The verified claims of the sign-in (the profile's `_json`: the ID token's, plus those only
   * userinfo had): what `oktaSession` keeps for group, claim, step-up and lifetime checks.
   */
  claims?: Record<string, unknown>;
  [key: string]: unknown;
}

// The option names the strategy knows besides the client's. `satisfies` makes the compiler
// fail when an option is added to the interface but not here, so a new option can never be refused.
const STRATEGY_OWN_OPTIONS = {
  oktaDomain: true,
  clientID: true,
  clientSecret: true,
  callbackURL: true,
  scope: true,
  name: true,
  userInfo: true,
  prefetchKeys: true,
  responseMode: true,
  store: true,
  stateMaxAge: true,
  requireIss: true,
  onReportError: true,
  verifyTimeout: true,
  allowedHosts: true,
  trustProxy: true,
  extraParams: true,
  passReqToCallback: true,
} as const satisfies Record<Exclude<keyof OktaStrategyOptions, keyof OktaClientOptions>, true>;

const STRATEGY_OPTION_NAMES: readonly string[] = [...Object.keys(STRATEGY_OWN_OPTIONS), ...CLIENT_OPTION_NAMES];
type AnyStrategyOptions = OktaStrategyOptions | OktaStrategyOptionsWithRequest | OktaTenantStrategyOptions;
const DEFAULT_SCOPES = ['openid', 'profile', 'email'];

/** What {@link resolveStrategyOptions} makes of an `OktaStrategy`'s options: checked, with defaults. */
export interface StrategySettings {
  /** The one client; undefined when the org is chosen per sign-in (`tenant`). */
  client: OktaClient | undefined;
  /** The `tenant` resolver, `maxTenants` and `tenantTimeout`. */
  tenant: { resolve: TenantResolver; max: number; timeout: number } | undefined;
  name: string;
  verifyTimeout: number;
  passReqToCallback: boolean;
  trustProxy: boolean;
  allowedHosts: readonly string[] | undefined;
  callbackURL: string;
  scopes: readonly string[];
  extraParams: Readonly<Record<string, string>>;
  userInfo: boolean | 'auto';
  prefetchKeys: boolean;
  responseMode: 'query' | 'form_post';
  store: StateStore;
  stateMaxAge: number;
  requireIss: boolean;
  onReportError: ReportErrorHandler | undefined;
  now: () => number;
}

/**
 * Checks an `OktaStrategy`'s options (and makes its client) and fills in the defaults;
 * throws a {@link ConfigurationError} that names the bad one.
 */
export function resolveStrategyOptions(options: AnyStrategyOptions): StrategySettings {
  if (!isObject(options)) throw new ConfigurationError('OktaStrategy needs an options object');
  const tenant = 'tenant' in options ? tenantOption(options, STRATEGY_OPTION_NAMES) : undefined;
  if (tenant === undefined) checkOptionNames('OktaStrategy', options, STRATEGY_OPTION_NAMES);
  if (typeof options.callbackURL !== 'string' || options.callbackURL === '') {
    throw new ConfigurationError('callbackURL is required, e.g. "/auth/okta/callback"');
  }
  checkCallbackURL(options.callbackURL);
  const { callbackURL } = options;
  const now = check.fn('now', options.now) ?? Date.now;
  const store = options.store ?? new SessionStateStore({ now });
  if (typeof store.save !== 'function' || typeof store.take !== 'function') {
    throw new ConfigurationError('store must implement save(req, login) and take(req, state, context)');
  }
  return {
    // The client needs an absolute redirect URI; a path is resolved per request.
    client:
      tenant === undefined
        ? new OktaClient(
            (options as OktaStrategyOptions).oktaDomain,
            (options as OktaStrategyOptions).clientID,
            (options as OktaStrategyOptions).clientSecret,
            callbackURL,
            clientOptionsOf(options),
          )
        : undefined,
    tenant,
    name: options.name ?? 'okta',
    verifyTimeout: check.milliseconds('verifyTimeout', options.verifyTimeout, 30_000),
    passReqToCallback: options.passReqToCallback === true,
    trustProxy: options.trustProxy === true,
    allowedHosts: check
      .strings('allowedHosts', options.allowedHosts, '["app.example.com", "localhost:3000"]')
      ?.map((host) => host.toLowerCase()),
    callbackURL,
    scopes: scopeList(options.scope ?? DEFAULT_SCOPES, 'scope'),
    extraParams: checkExtraParams(options.extraParams, 'OktaStrategy'),
    userInfo: check.oneOf('userInfo', options.userInfo, [true, false, 'auto'], 'auto'),
    prefetchKeys: check.oneOf('prefetchKeys', options.prefetchKeys, [true, false], true),
    responseMode: check.oneOf('responseMode', options.responseMode, ['query', 'form_post'], 'query'),
    store,
    stateMaxAge: check.milliseconds('stateMaxAge', options.stateMaxAge, 600_000),
    requireIss: options.requireIss === true,
    onReportError: check.fn('onReportError', options.onReportError),
    now,
  };
}

/** The client's options out of the strategy's (or a tenant's), for `new OktaClient(...)`. */
export function clientOptionsOf(options: object): OktaClientOptions {
  const picked: Record<string, unknown> = {};
  for (const name of CLIENT_OPTION_NAMES) if (name in options) picked[name] = (options as Record<string, unknown>)[name];
  return picked;
}
