import {
  acrMeets,
  claimsMeet,
  groupArguments,
  inGroups,
  isAcrValue,
  recentEnough,
  type ClaimRule,
  type RequireGroupsOptions,
} from '../core/claims.js';
import { ConfigurationError } from '../core/errors.js';
import { isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import { acceptedToken, refuseToken, type ScopeMiddleware } from './scopes.js';

/**
 * Lets the request through only if the access token `passport.authenticate('okta-bearer')`
 * accepted names one of `groups` in its `groups` claim (with `{ all: true }` as the last
 * argument: each of them; `{ claim }` reads another claim); otherwise 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope"`. A token without the claim is in no
 * group: add it to the authorization server's access tokens (docs/authorization.md).
 *
 * @example
 * ```ts
 * app.delete('/api/orders/:id', passport.authenticate('okta-bearer', { session: false }), requireGroups('Admins'), deleteOrder)
 * ```
 */
export function requireGroups(...args: (string | RequireGroupsOptions)[]): ScopeMiddleware {
  const { groups, all, claim } = groupArguments('requireGroups', args);
  return claimGuard('requireGroups', (claims) => inGroups(claims, groups, all, claim));
}

/**
 * Lets the request through only if the accepted access token's claims meet `rule`: a
 * predicate, or an object of claim values (a list claim must include each value); otherwise
 * 403 as {@link requireGroups}.
 *
 * @example
 * ```ts
 * app.get('/api/reports', passport.authenticate('okta-bearer', { session: false }), requireClaims({ department: 'Finance' }), listReports)
 * ```
 */
export function requireClaims(rule: ClaimRule): ScopeMiddleware {
  if (typeof rule !== 'function' && !isObject(rule)) {
    throw new ConfigurationError('requireClaims needs a predicate (claims) => boolean or an object of claim values');
  }
  return claimGuard('requireClaims', (claims) => claimsMeet(claims, rule));
}

/**
 * Lets the request through only if the accepted access token's `acr` meets `acr` (the same
 * class, or a stronger one of Okta's) and its `auth_time` is within `maxAge` seconds;
 * otherwise 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
 * acr_values="...", max_age=...` (RFC 9470), for the client to get a new token with them.
 */
export function requireAcr(
  acr: string,
  options: { maxAge?: number | undefined; now?: (() => number) | undefined } = {},
): ScopeMiddleware {
  if (!isAcrValue(acr)) {
    throw new ConfigurationError('requireAcr needs one acr value, such as "urn:okta:loa:2fa:any"');
  }
  const { maxAge } = options;
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0)) {
    throw new ConfigurationError('maxAge must be a whole number of seconds >= 0');
  }
  const now = options.now ?? Date.now;
  return (req, res, next) => {
    const accepted = acceptedToken(req, 'requireAcr', next);
    if (!accepted) return;
    const { claims } = accepted.info;
    if (acrMeets(claims.acr, acr) && recentEnough(claims.auth_time, maxAge, now())) {
      next();
      return;
    }
    const extra: Record<string, string> = { acr_values: acr };
    if (maxAge !== undefined) extra.max_age = String(maxAge);
    refuseToken(res, accepted, 401, {
      error: 'insufficient_user_authentication',
      description: 'The access token does not come from a strong or recent enough authentication',
      extra,
    });
  };
}

function claimGuard(name: string, meets: (claims: Readonly<Record<string, unknown>>) => boolean): ScopeMiddleware {
  return (req: OktaRequest & { authInfo?: unknown }, res, next) => {
    const accepted = acceptedToken(req, name, next);
    if (!accepted) return;
    if (meets(accepted.info.claims)) {
      next();
      return;
    }
    refuseToken(res, accepted, 403, {
      error: 'insufficient_scope',
      description: 'The access token does not carry the claims this request needs',
    });
  };
}
