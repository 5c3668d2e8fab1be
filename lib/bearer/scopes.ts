import type { ServerResponse } from 'node:http';
import { ConfigurationError } from '../core/errors.js';
import { isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import { wwwAuthenticate, type ChallengeSettings, type Refusal } from './challenge.js';
import type { OktaBearerAuthInfo } from './options.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The challenge settings (realm, DPoP algorithms) of the strategy that accepted a request,
 * kept on the request itself: `req.authInfo` may be copied or replaced (Passport's
 * `transformAuthInfo`, a middleware) without {@link requireScopes} losing them.
 */
const CHALLENGE = Symbol('passport-okta-oidc challenge');

export function rememberChallenge(req: OktaRequest, settings: ChallengeSettings): void {
  (req as OktaRequest & { [CHALLENGE]?: ChallengeSettings })[CHALLENGE] = settings;
}

/** An Express-style middleware (typed without Express). */
export type ScopeMiddleware = (
  req: OktaRequest & { authInfo?: unknown },
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Lets the request through only if the access token `passport.authenticate('okta-bearer')`
 * (or `oktaBearer()`) accepted carries every one of `scopes`; otherwise answers 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` (RFC 6750 §3.1), on the
 * scheme the token came with.
 *
 * @example
 * ```ts
 * app.get('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read'), listOrders)
 * app.post('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read', 'orders:write'), addOrder)
 * ```
 */
export function requireScopes(...scopes: (string | readonly string[])[]): ScopeMiddleware {
  const needed = scopes.flat();
  if (needed.length === 0 || needed.some((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s))) {
    throw new ConfigurationError('requireScopes needs one or more scopes such as "orders:read"');
  }
  const scope = needed.join(' ');
  return (req, res, next) => {
    const accepted = acceptedToken(req, 'requireScopes', next);
    if (!accepted) return;
    if (needed.every((s) => accepted.info.scopes.includes(s))) {
      next();
      return;
    }
    refuseToken(res, accepted, 403, {
      error: 'insufficient_scope',
      description: 'The access token does not grant the scopes this request needs',
      scope,
    });
  };
}

/** What `passport.authenticate('okta-bearer')` (or `oktaBearer()`) left on a request it accepted. */
export interface AcceptedToken {
  info: OktaBearerAuthInfo;
  settings: ChallengeSettings;
}

/**
 * The accepted token's info and its strategy's challenge settings; when the guard runs
 * without `passport.authenticate('okta-bearer')` before it, passes a configuration error
 * to `next` and returns undefined.
 */
export function acceptedToken(
  req: OktaRequest & { authInfo?: unknown },
  guard: string,
  next: (err?: unknown) => void,
): AcceptedToken | undefined {
  const info = req.authInfo as Partial<OktaBearerAuthInfo> | undefined;
  const settings = (req as OktaRequest & { [CHALLENGE]?: ChallengeSettings })[CHALLENGE];
  if (!info || !settings || !Array.isArray(info.scopes) || !isObject(info.claims)) {
    next(
      new ConfigurationError(`${guard} must come after passport.authenticate('okta-bearer', { session: false }) or oktaBearer()`),
    );
    return undefined;
  }
  return { info: info as OktaBearerAuthInfo, settings };
}

/** Refuses the request with a `WWW-Authenticate` challenge on the scheme the token came with. */
export function refuseToken(
  res: ServerResponse,
  accepted: AcceptedToken,
  status: 401 | 403,
  refusal: Omit<Refusal, 'scheme'>,
): void {
  res.statusCode = status;
  res.setHeader('WWW-Authenticate', wwwAuthenticate(accepted.settings, { ...refusal, scheme: accepted.info.tokenType }));
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(status === 401 ? 'Unauthorized' : 'Forbidden');
}
