import type { ServerResponse } from 'node:http';
import type { ClaimRule, RequireGroupsOptions } from '../core/claims.js';
import type { OktaRequest } from '../passport/request.js';
import type { Middleware } from '../passport/response.js';
import type { OktaAnswer, OktaRefusal } from './answers.js';
import type { OktaGuardDecision, OktaSignInOptions } from './guards.js';
import type { LifetimeDecision, SessionEndReason } from './lifetime.js';
import type { SessionRequest } from './session.js';
import type { OktaSignInSettlement } from './sign-in-result.js';

// The types of oktaSession (app/okta-session.ts): its options and what it returns.

/** Options of {@link oktaSession}. */
export interface OktaSessionOptions {
  /** Where a sign-in returns when it names no page (or an unsafe one). Default `'/'`. */
  defaultReturnTo?: string | undefined;
  /**
   * Where a failed sign-in goes, its message pushed to `req.session.messages` (as Passport's
   * `failureMessage`). Never a guarded page or the sign-in route: a failure that repeats
   * would loop. Default: a page with the failure's status (401/403).
   */
  failureRedirect?: string | undefined;
  /** Seconds a session may last from the user's last authentication at Okta (`auth_time`). Default: no limit. */
  absoluteLifetime?: number | undefined;
  /** Seconds a session may go unused. Default: no limit. */
  idleTimeout?: number | undefined;
  /** The tokens of the user, read when a session ends, to revoke its refresh token at Okta, e.g. `(req) => req.user?.tokens`. */
  getTokens?: ((req: SessionRequest) => { refreshToken?: string | null | undefined } | null | undefined) | undefined;
  /** Called when `checkSession()` ended a session (with the error of a revocation that failed, if any). */
  onSessionEnded?: ((req: SessionRequest, reason: SessionEndReason, revokeError?: unknown) => void | Promise<void>) | undefined;
  /** Answers a guard's refusal instead of the default page or JSON (render your own 403). */
  onRefused?: ((req: OktaRequest, res: ServerResponse, next: (err?: unknown) => void, refusal: OktaRefusal) => void) | undefined;
  /** Name of the cookie marking a browser where a sign-in started, so that `silentSignIn()` does not try. Default `'okta_silent'`. */
  markerCookie?: string | undefined;
  /** Seconds that cookie lives. Default: until the browser session ends. */
  markerMaxAge?: number | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

export const OPTION_NAMES = [
  'defaultReturnTo',
  'failureRedirect',
  'absoluteLifetime',
  'idleTimeout',
  'getTokens',
  'onSessionEnded',
  'onRefused',
  'markerCookie',
  'markerMaxAge',
  'now',
] as const;

/** The part of a Passport instance {@link oktaSession} uses: `authenticate`, with options and with a custom callback. */
export interface OktaSessionPassport {
  authenticate(
    strategy: string,
    options: object,
    callback?: (err: unknown, user?: unknown, info?: unknown, status?: number) => void,
  ): (req: never, res: never, next: never) => unknown;
}

/** A guard: Express middleware, with its decision for any framework (`check`) and a run for NestJS guards. */
export interface OktaGuard extends Middleware {
  /** The decision alone, for Koa, Fastify and the like to apply (see docs/authorization.md). */
  check(req: OktaRequest): OktaGuardDecision;
  /**
   * Applies the decision on Express's request and response: resolves `true` to let the
   * request through, `false` once the guard has answered (redirected or refused). For a NestJS
   * `CanActivate`.
   */
  run(req: OktaRequest, res: ServerResponse): Promise<boolean>;
}

/** The session middleware `checkSession()`, with its decision for other frameworks. */
export interface OktaSessionCheck extends Middleware<SessionRequest> {
  check(req: OktaRequest): LifetimeDecision;
}

/** What {@link oktaSession} returns. */
export interface OktaSession {
  /** The callback route: finishes the sign-in, keeps its record, returns to the page. */
  callback: Middleware;
  /** The sign-in route: returns to `?returnTo=` (a same-origin path) afterwards; a signed-in user goes there at once. */
  signIn(options?: Omit<OktaSignInOptions, 'state'>): Middleware;
  requireSignIn(): OktaGuard;
  requireGroups(...groups: string[]): OktaGuard;
  requireGroups(...args: [...groups: string[], options: RequireGroupsOptions]): OktaGuard;
  requireClaims(rule: ClaimRule): OktaGuard;
  requireAcr(acr: string, options?: { maxAge?: number | undefined }): OktaGuard;
  silentSignIn(): OktaGuard;
  checkSession(): OktaSessionCheck;
  /** The callback's outcome for other frameworks (see docs/authorization.md). */
  settle(req: OktaRequest, err: unknown, user: unknown, info: unknown, status?: number): OktaSignInSettlement;
  /** The answer to a refusal, for other frameworks to send. */
  answer(req: OktaRequest, refusal: OktaRefusal): OktaAnswer;
}
