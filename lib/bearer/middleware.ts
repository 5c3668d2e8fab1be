import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { OktaRequest } from '../passport/request.js';
import { endUnanswered, type Middleware } from '../passport/response.js';
import { retryAfterOf } from '../passport/strategy-base.js';
import { asError } from '../passport/verify.js';
import { BearerCheck } from './check.js';
import type {
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  OktaBearerAuthInfo,
  OktaBearerIssuersOptions,
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
} from './options.js';

/** A request `oktaBearer()` accepted: the user (the claims, or what the verify function returned) and its auth info. */
export type OktaBearerRequest = OktaRequest & { user?: unknown; authInfo?: unknown };

/** What {@link OktaBearerMiddleware.check} decided; an error (key set unreachable, store down) rejects instead. */
export type OktaBearerDecision =
  | { kind: 'pass'; user: unknown; authInfo: OktaBearerAuthInfo }
  | {
      kind: 'refuse';
      /** 401, 400 (`invalid_request`), or 403 for a verify function's own status. */
      status: number;
      /** `WWW-Authenticate`: the challenges, the error on the scheme the request used. */
      headers: { 'WWW-Authenticate': string };
      /** What Passport sends: the status text. */
      body: string;
    };

/** What {@link oktaBearer} returns: an Express-style middleware, with its decision for other frameworks. */
export interface OktaBearerMiddleware extends Middleware<OktaBearerRequest> {
  /**
   * The decision alone: on `pass`, `req.user` and `req.authInfo` are set (and what
   * `requireScopes` needs); on `refuse`, nothing was sent. For Fastify, Koa and the like.
   */
  check(req: OktaBearerRequest): Promise<OktaBearerDecision>;
  /**
   * Applies the decision on Node's (Express's) request and response: resolves `true` to let
   * the request through, `false` once the refusal was sent; rejects on an error. For a
   * NestJS `CanActivate`.
   */
  run(req: OktaBearerRequest, res: ServerResponse): Promise<boolean>;
}

/**
 * `OktaBearerStrategy` without Passport: the same checks of the access token (and DPoP
 * proof), the same verify function, refusals and `WWW-Authenticate` challenges as
 * `passport.authenticate('okta-bearer', { session: false })`, and the same `req.user` and
 * `req.authInfo`, so `requireScopes`, `requireGroups`, `requireClaims` and `requireAcr` work
 * after it. Errors (the key set unreachable, a replay store down) go to `next(err)`, with
 * `Retry-After` when known.
 *
 * @example
 * ```ts
 * const bearer = oktaBearer({ oktaDomain: 'https://acme.okta.com', authServerId: 'default', audience: 'api://default' })
 * app.get('/api/orders', bearer, requireScopes('orders:read'), listOrders)
 * ```
 */
export function oktaBearer(
  options: OktaBearerStrategyOptions | (OktaBearerIssuersOptions & { passReqToCallback?: false }),
  verify?: BearerVerifyFunction,
): OktaBearerMiddleware;
export function oktaBearer(
  options: OktaBearerStrategyOptionsWithRequest | (OktaBearerIssuersOptions & { passReqToCallback: true }),
  verify: BearerVerifyFunctionWithRequest,
): OktaBearerMiddleware;
export function oktaBearer(
  options: OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest | OktaBearerIssuersOptions,
  verify?: BearerVerifyFunction | BearerVerifyFunctionWithRequest,
): OktaBearerMiddleware {
  const bearer = new BearerCheck(options, verify);
  const check = (req: OktaBearerRequest): Promise<OktaBearerDecision> => decide(bearer, req);
  const run = (req: OktaBearerRequest, res: ServerResponse): Promise<boolean> => apply(check, req, res);
  const middleware = (req: OktaBearerRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    run(req, res)
      .then(
        (through) => {
          if (through) next();
        },
        (err: unknown) => {
          next(err);
        },
      )
      .catch((err: unknown) => {
        // What next (the app) threw: reported, and a response left unanswered gets a 500.
        try {
          (bearer.settings.onReportError ?? logReportError)(asError(err), req);
        } catch {
          // The app's own logger failed: there is nobody left to tell.
        }
        endUnanswered(res);
      });
  };
  return Object.assign(middleware, { check, run });
}

/** The check's outcome as a decision: on `pass`, `req.user` and `req.authInfo` set, as Passport sets them. */
async function decide(bearer: BearerCheck, req: OktaBearerRequest): Promise<OktaBearerDecision> {
  const outcome = await bearer.check(req);
  switch (outcome.kind) {
    case 'success':
      req.user = outcome.user;
      req.authInfo = outcome.info;
      return { kind: 'pass', user: outcome.user, authInfo: outcome.info };
    case 'fail':
      return {
        kind: 'refuse',
        status: outcome.status,
        headers: { 'WWW-Authenticate': outcome.challenge },
        body: statusText(outcome.status),
      };
    case 'error':
      throw outcome.error;
  }
}

/** Sends a refusal as Passport's default handling does (status, `WWW-Authenticate`, the status text); `Retry-After` on errors. */
async function apply(
  check: (req: OktaBearerRequest) => Promise<OktaBearerDecision>,
  req: OktaBearerRequest,
  res: ServerResponse,
): Promise<boolean> {
  let decision: OktaBearerDecision;
  try {
    decision = await check(req);
  } catch (err) {
    const retryAfter = retryAfterOf(asError(err));
    if (retryAfter !== undefined && !res.headersSent) res.setHeader('Retry-After', String(retryAfter));
    throw err;
  }
  if (decision.kind === 'pass') return true;
  res.statusCode = decision.status;
  res.setHeader('WWW-Authenticate', decision.headers['WWW-Authenticate']);
  res.end(decision.body);
  return false;
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unauthorized';
}

function logReportError(err: Error): void {
  console.error('passport-okta-oidc: an exception was thrown after the API request outcome was handed to the app:', err);
}
