import type { ServerResponse } from 'node:http';
import { groupArguments, isAcrValue, type RequireGroupsOptions } from '../core/claims.js';
import { ConfigurationError } from '../core/errors.js';
import { check, checkOptionNames } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import { runAsync, type Middleware } from '../passport/response.js';
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
import { decideLifetime, type LifetimeDecision, type SessionEndReason } from './lifetime.js';
import {
  OPTION_NAMES,
  type OktaGuard,
  type OktaSession,
  type OktaSessionCheck,
  type OktaSessionOptions,
  type OktaSessionPassport,
} from './okta-session-types.js';
import { safeRedirectPath } from './redirect.js';
import { restartSession, type SessionRequest } from './session.js';
import { settleSignIn, type OktaSignInSettlement, type SettleContext } from './sign-in-result.js';

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
  checkOptionNames('oktaSession', options, OPTION_NAMES);
  if (passport === null || typeof passport !== 'object' || typeof passport.authenticate !== 'function') {
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
  const getTokens = check.fn('getTokens', options.getTokens);
  const onSessionEnded = check.fn('onSessionEnded', options.onSessionEnded);
  const onRefused = check.fn('onRefused', options.onRefused);

  const authenticate = (signIn: OktaSignInOptions): Middleware => passport.authenticate(name, signIn) as unknown as Middleware;

  const apply = (decision: OktaGuardDecision, req: OktaRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (decision.kind === 'pass') return next();
    if (decision.kind === 'refuse') {
      if (onRefused) return onRefused(req, res, next, decision.refusal);
      return sendAnswer(res, refusalAnswer(req, decision.refusal));
    }
    for (const cookie of decision.cookies) res.appendHeader('Set-Cookie', cookie);
    authenticate(decision.options)(req, res, next);
  };

  const guard = (decide: (req: OktaRequest) => OktaGuardDecision): OktaGuard => {
    const middleware = ((req, res, next) => {
      let decision: OktaGuardDecision;
      try {
        decision = decide(req);
      } catch (err) {
        return next(err);
      }
      apply(decision, req, res, next);
    }) as OktaGuard;
    middleware.check = decide;
    middleware.run = (req, res) =>
      new Promise<boolean>((resolve, reject) => {
        const answered = (): void => resolve(false);
        res.once('finish', answered).once('close', answered);
        middleware(req, res, (err) => {
          res.off('finish', answered).off('close', answered);
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(true);
        });
      });
    return middleware;
  };

  const lifetime = { absoluteLifetime, idleTimeout, now: ctx.now, warnNoRecord: ctx.warnNoRecord };

  const endSession = async (req: SessionRequest, reason: SessionEndReason): Promise<void> => {
    const refreshToken = getTokens?.(req)?.refreshToken ?? undefined;
    await restartSession(req);
    let revokeError: unknown;
    if (refreshToken) {
      try {
        await strategy.client.revokeToken(refreshToken, 'refresh_token');
      } catch (err) {
        revokeError = err;
      }
    }
    await onSessionEnded?.(req, reason, revokeError);
  };

  const checkSession = (): OktaSessionCheck => {
    const middleware = ((req, res, next) => {
      let decision: LifetimeDecision;
      try {
        decision = decideLifetime(req, lifetime);
      } catch (err) {
        return next(err);
      }
      if (decision.kind === 'pass') return next();
      runAsync(res, next, async () => {
        await endSession(req, decision.reason);
        return 'next';
      });
    }) as OktaSessionCheck;
    middleware.check = (req) => decideLifetime(req, lifetime);
    return middleware;
  };

  const settle = (req: OktaRequest, err: unknown, user: unknown, info: unknown, status?: number): OktaSignInSettlement =>
    settleSignIn(ctx, req, err, user, info, status);

  const callback: Middleware = (req, res, next) => {
    const handler = passport.authenticate(name, {}, (err, user, info, status) => {
      const outcome = settle(req, err, user, info, status);
      if (outcome.kind === 'error') return next(outcome.error);
      if (outcome.kind === 'answer') return sendAnswer(res, outcome.answer);
      logIn(req, outcome.user, (loginError) => {
        if (loginError) return next(loginError);
        sendAnswer(res, outcome.finish(req));
      });
    }) as unknown as Middleware;
    handler(req, res, next);
  };

  return {
    callback,
    signIn:
      (extra = {}) =>
      (req, res, next) => {
        const query = (req.query ?? {}) as Record<string, unknown>;
        const returnTo = safeRedirectPath(query.returnTo, ctx.defaultReturnTo);
        if (isSignedIn(req)) return sendAnswer(res, redirectAnswer(returnTo));
        apply(startSignIn(ctx, req, extra, returnTo.length > 1024 ? {} : { returnTo }), req, res, next);
      },
    requireSignIn: () => guard((req) => decideSignIn(ctx, req)),
    requireGroups: (...args: Array<string | RequireGroupsOptions>) => {
      const { groups, all, claim } = groupArguments('requireGroups', args);
      return guard((req) => decideGroups(ctx, req, groups, all, claim));
    },
    requireClaims: (rule) => {
      if (rule === null || (typeof rule !== 'function' && typeof rule !== 'object')) {
        throw new ConfigurationError('requireClaims needs a predicate (claims) => boolean or an object of claim values');
      }
      return guard((req) => decideClaims(ctx, req, rule));
    },
    requireAcr: (acr, acrOptions = {}) => {
      if (!isAcrValue(acr)) {
        throw new ConfigurationError('requireAcr needs one acr value, such as "urn:okta:loa:2fa:any"');
      }
      const maxAge = acrOptions.maxAge === undefined ? undefined : check.seconds('maxAge', acrOptions.maxAge, 0);
      if (maxAge !== undefined && !Number.isInteger(maxAge))
        throw new ConfigurationError('maxAge must be a whole number of seconds');
      return guard((req) => decideAcr(ctx, req, acr, maxAge));
    },
    silentSignIn: () => guard((req) => decideSilent(ctx, req)),
    checkSession,
    settle,
    answer: (req, refusal) => refusalAnswer(req, refusal),
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
