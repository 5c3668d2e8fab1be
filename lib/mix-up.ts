import { ConfigurationError } from './errors.js';
import type { OktaRequest } from './request.js';

/** One strategy's claim on a callback URL within one Passport instance. */
export interface CallbackClaim {
  /** The callback as configured: an absolute URL, or a path (the same on every host). */
  callback: string;
  /** The callback's path. */
  path: string;
  strategy: string;
  issuer: string;
  requireIss: boolean;
}

type Claims = Map<string, Map<string, CallbackClaim>>;

/** Strategies of one Passport instance, by callback, then by strategy name. */
const byScope = new WeakMap<object, Claims>();

/**
 * Records that `claim.strategy` finishes sign-ins at `claim.callback`, and refuses the
 * setup when another strategy of the same Passport instance finishes sign-ins of another
 * authorization server there, unless both require the `iss` parameter (RFC 9207).
 *
 * Without `iss`, a callback does not say which server issued its code: a hostile server
 * could send the user to the other one and receive the code it issued (a mix-up attack,
 * RFC 9700 §4.4). Distinct callback URLs per server, or `iss`, tell them apart.
 */
export function claimCallback(req: OktaRequest, claim: CallbackClaim): void {
  const scope = passportOf(req);
  // Not run by Passport (a test harness, a custom host): there is no set of sibling strategies to compare.
  if (scope === undefined) return;
  let claims = byScope.get(scope);
  if (claims === undefined) {
    claims = new Map();
    byScope.set(scope, claims);
  }
  let sharing = claims.get(claim.callback);
  if (sharing === undefined) {
    sharing = new Map();
    claims.set(claim.callback, sharing);
  }
  // A strategy registered again under the same name replaces the earlier one.
  if (sharing.get(claim.strategy) !== claim) sharing.set(claim.strategy, claim);
  if (sharing.size === 1) return;
  for (const other of sharing.values()) {
    if (other.issuer === claim.issuer || (other.requireIss && claim.requireIss)) continue;
    throw new ConfigurationError(
      `Strategies "${other.strategy}" and "${claim.strategy}" finish sign-ins of different Okta authorization servers ` +
        `(${other.issuer} and ${claim.issuer}) at the same callbackURL (${claim.callback}): a callback could not tell ` +
        'which server issued its code (mix-up attack). Give each strategy its own callbackURL, or set requireIss: true ' +
        'on both if both servers send iss in the callback.',
    );
  }
}

/**
 * passport >= 0.6 links each request it authenticates to its instance's session manager,
 * 0.5 to the instance; @fastify/passport decorates the request with its authenticator.
 */
function passportOf(req: OktaRequest): object | undefined {
  const linked = req as OktaRequest & { _sessionManager?: unknown; _passport?: { instance?: unknown }; passport?: unknown };
  const scope = linked._sessionManager ?? linked._passport?.instance ?? linked.passport;
  return scope !== null && typeof scope === 'object' ? scope : undefined;
}
