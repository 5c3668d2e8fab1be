import type { ServerResponse } from 'node:http';
import { groupArguments, isAcrValue, type RequireGroupsOptions } from '../core/claims.js';
import { ConfigurationError } from '../core/errors.js';
import { check, checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import type { Middleware } from '../passport/response.js';
import type { OktaStrategy } from '../sign-in/strategy.js';
import { redirectAnswer, refusalAnswer, sendAnswer } from './answers.js';
import {
  decideAcr,
  decideClaims,
  decideGroups,
  decideSignIn,
  decideSilent,
  isSignedIn,
  startSignIn,
  type OktaGuardDecision,
  type OktaSignInOptions,
} from './guards.js';
import { backChannelLogoutReceiver } from './backchannel-logout.js';
import { frontChannelLogoutReceiver } from './frontchannel-logout.js';
import {
  OPTION_NAMES,
  type OktaGuard,
  type OktaSession,
  type OktaSessionOptions,
  type OktaSessionPassport,
} from './okta-session-types.js';
import { safeRedirectPath } from './redirect.js';
import { MemoryRevocationStore, Revocations } from './revocation.js';
import { sessionCheck, type SessionCheckSettings } from './session-check.js';
import { settleSignIn, type OktaSignInSettlement, type SettleContext } from './sign-in-result.js';
import { universalLogoutReceiver } from './universal-logout.js';

/**
 * Sign-in around the routes of a session app: a callback that returns to the page the
 * user asked for, guards (signed in, groups, claims, a class of authentication with
 * step-up), silent sign-in, and session lifetime. See docs/authorization.md.
 *
 * @example
 * ```ts
 * const okta = oktaSession(passport, strategy, { idleTimeout: 1800, absoluteLifetime: 8 * 3600 })
 * app.use(okta.checkSession())
 * app.get('/login', okta.signIn())
 * app.get('/auth/okta/callback', okta.callback)
 * app.get('/reports', okta.requireSignIn(), showReports)
 * app.get('/admin', okta.requireGroups('Admins'), okta.requireAcr('urn:okta:loa:2fa:any', { maxAge: 900 }), showAdmin)
 * ```
 */
export function oktaSession(
  passport: OktaSessionPassport,
  strategy: OktaStrategy,
  options: OktaSessionOptions = {},
): OktaSession {
  const app = resolveSessionApp(passport, strategy, options);
  const { ctx } = app;
  return {
    callback: callbackOf(app),
    signIn: (extra = {}) => signInOf(app, extra),
    requireSignIn: () => guard(app, (req) => decideSignIn(ctx, req)),
    requireGroups: (...args: (string | RequireGroupsOptions)[]) => {
      const { groups, all, claim } = groupArguments('requireGroups', args);
      return guard(app, (req) => decideGroups(ctx, req, groups, all, claim));
    },
    requireClaims: (rule) => {
      if (typeof rule !== 'function' && !isObject(rule)) {
        throw new ConfigurationError('requireClaims needs a predicate (claims) => boolean or an object of claim values');
      }
      return guard(app, (req) => decideClaims(ctx, req, rule));
    },
    requireAcr: (acr, acrOptions = {}) => {
      if (!isAcrValue(acr)) {
        throw new ConfigurationError('requireAcr needs one acr value, such as "urn:okta:loa:2fa:any"');
      }
      const maxAge = acrOptions.maxAge === undefined ? undefined : check.seconds('maxAge', acrOptions.maxAge, 0);
      if (maxAge !== undefined && !Number.isInteger(maxAge))
        throw new ConfigurationError('maxAge must be a whole number of seconds');
      return guard(app, (req) => decideAcr(ctx, req, acr, maxAge));
    },
    silentSignIn: () => guard(app, (req) => decideSilent(ctx, req)),
    checkSession: () => sessionCheck(app.session),
    settle: (req: OktaRequest, err: unknown, user: unknown, info: unknown, status?: number): OktaSignInSettlement =>
      settleSignIn(ctx, req, err, user, info, status),
    answer: (req, refusal) => refusalAnswer(req, refusal),
    universalLogout: (receiverOptions) => universalLogoutReceiver(app.session.revocations, strategy, receiverOptions),
    backChannelLogout: (receiverOptions) => backChannelLogoutReceiver(app.session.revocations, strategy, receiverOptions),
    frontChannelLogout: (receiverOptions) => frontChannelLogoutReceiver(app.session.revocations, strategy, receiverOptions),
    revoke: (revocation) => app.session.revocations.revoke(revocation),
  };
}

/** One {@link oktaSession}'s settings, checked, and what its middleware share. */
interface SessionApp {
  passport: OktaSessionPassport;
  strategy: OktaStrategy;
  /** The strategy's name, as Passport knows it. */
  name: string;
  ctx: SettleContext;
  /** What checkSession() and the logout receivers share: the lifetime and the revocation record. */
  session: SessionCheckSettings;
  onRefused: OktaSessionOptions['onRefused'];
}

function resolveSessionApp(passport: OktaSessionPassport, strategy: OktaStrategy, options: OktaSessionOptions): SessionApp {
  checkOptionNames('oktaSession', options, OPTION_NAMES);
  if (!isObject(passport) || typeof passport.authenticate !== 'function') {
    throw new ConfigurationError('oktaSession needs the Passport instance first: oktaSession(passport, strategy, options)');
  }
  const name = strategy.name;
  const failureRedirect = options.failureRedirect;
  if (failureRedirect !== undefined && safeRedirectPath(failureRedirect, '') !== failureRedirect) {
    throw new ConfigurationError('failureRedirect must be a path on this site, such as "/login-failed"');
  }
  const markerName = options.markerCookie ?? 'okta_silent';
  if (!/^[A-Za-z0-9_-]+$/.test(markerName)) throw new ConfigurationError('markerCookie may use letters, digits, _ and - only');
  const absoluteLifetime = wholeSeconds('absoluteLifetime', options.absoluteLifetime);
  let warned = false;
  const ctx: SettleContext = {
    now: check.fn('now', options.now) ?? Date.now,
    defaultReturnTo: safeRedirectPath(options.defaultReturnTo, '/'),
    markerCookie: markerName,
    markerMaxAge:
      options.markerMaxAge === undefined ? undefined : check.seconds('markerMaxAge', options.markerMaxAge, 0, 'positive'),
    quietPaths:
      failureRedirect === undefined
        ? [strategy.callbackPath]
        : [strategy.callbackPath, new URL(failureRedirect, 'http://x').pathname],
    failureRedirect,
    absoluteLifetime,
    warnNoRecord: () => {
      if (warned) return;
      warned = true;
      console.warn(NO_RECORD_WARNING);
    },
  };
  const idleTimeout =
    options.idleTimeout === undefined ? undefined : check.seconds('idleTimeout', options.idleTimeout, 0, 'positive');
  const revocations = new Revocations({
    store: options.revocationStore ?? new MemoryRevocationStore({ now: ctx.now }),
    // A revocation outlives every session it can name: the absolute lifetime, or 30 days.
    keepFor: (absoluteLifetime ?? 30 * 24 * 3600) * 1000,
    cacheFor: check.milliseconds('revocationCache', options.revocationCache, 1000, 0),
    timeout: check.milliseconds('storeTimeout', options.storeTimeout, 1000),
    now: ctx.now,
  });
  return {
    passport,
    strategy,
    name,
    ctx,
    session: {
      lifetime: { absoluteLifetime, idleTimeout, now: ctx.now, warnNoRecord: ctx.warnNoRecord },
      revocations,
      client: strategy.client,
      getTokens: check.fn('getTokens', options.getTokens),
      onSessionEnded: check.fn('onSessionEnded', options.onSessionEnded),
    },
    onRefused: check.fn('onRefused', options.onRefused),
  };
}

/** Carries out a guard's decision: on, a refusal (the app's `onRefused`, or a page), or a sign-in. */
function apply(
  app: SessionApp,
  decision: OktaGuardDecision,
  req: OktaRequest,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  if (decision.kind === 'pass') {
    next();
    return;
  }
  if (decision.kind === 'refuse') {
    const { onRefused } = app;
    if (onRefused) {
      onRefused(req, res, next, decision.refusal);
      return;
    }
    sendAnswer(res, refusalAnswer(req, decision.refusal));
    return;
  }
  for (const cookie of decision.cookies) res.appendHeader('Set-Cookie', cookie);
  (app.passport.authenticate(app.name, decision.options) as unknown as Middleware)(req, res, next);
}

function guard(app: SessionApp, decide: (req: OktaRequest) => OktaGuardDecision): OktaGuard {
  const middleware = ((req, res, next) => {
    let decision: OktaGuardDecision;
    try {
      decision = decide(req);
    } catch (err) {
      next(err);
      return;
    }
    apply(app, decision, req, res, next);
  }) as OktaGuard;
  middleware.check = decide;
  middleware.run = (req, res) =>
    new Promise<boolean>((resolve, reject) => {
      const answered = (): void => {
        resolve(false);
      };
      res.once('finish', answered).once('close', answered);
      middleware(req, res, (err) => {
        res.off('finish', answered).off('close', answered);
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever was passed to next(), printed as JavaScript prints it
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(true);
      });
    });
  return middleware;
}

function signInOf(app: SessionApp, extra: Omit<OktaSignInOptions, 'state'>): Middleware {
  const { ctx } = app;
  return (req, res, next) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const returnTo = safeRedirectPath(query.returnTo, ctx.defaultReturnTo);
    if (isSignedIn(req)) {
      sendAnswer(res, redirectAnswer(returnTo));
      return;
    }
    apply(app, startSignIn(ctx, req, extra, returnTo.length > 1024 ? {} : { returnTo }), req, res, next);
  };
}

function callbackOf(app: SessionApp): Middleware {
  return (req, res, next) => {
    const handler = app.passport.authenticate(app.name, {}, (err, user, info, status) => {
      const outcome = settleSignIn(app.ctx, req, err, user, info, status);
      if (outcome.kind === 'error') {
        next(outcome.error);
        return;
      }
      if (outcome.kind === 'answer') {
        sendAnswer(res, outcome.answer);
        return;
      }
      logIn(req, outcome.user, (loginError) => {
        if (loginError) {
          next(loginError);
          return;
        }
        sendAnswer(res, outcome.finish(req));
      });
    }) as unknown as Middleware;
    handler(req, res, next);
  };
}

/** Whole seconds above zero (they are sent as `max_age`), when given. */
function wholeSeconds(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a whole number of seconds > 0`);
  }
  return value;
}

/** `req.logIn(user, { keepSessionInfo: true }, done)`: a new session id, this session's data kept (other tabs' sign-ins). */
function logIn(req: OktaRequest, user: unknown, done: (err?: unknown) => void): void {
  const login = (req as { logIn?: (user: unknown, options: object, done: (err?: unknown) => void) => void }).logIn;
  if (typeof login !== 'function') {
    done(new ConfigurationError("oktaSession's callback needs Passport's req.logIn: add app.use(passport.initialize())"));
    return;
  }
  login.call(req, user, { keepSessionInfo: true }, done);
}

const NO_RECORD_WARNING =
  'passport-okta-oidc: a signed-in user has no sign-in record, so group, claim and step-up checks refuse them ' +
  "(403) and checkSession() ends their session. The record is written by oktaSession's callback: route the " +
  "callback URL to okta.callback (app.get('/auth/okta/callback', okta.callback)) rather than to passport.authenticate().";
