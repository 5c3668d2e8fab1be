import type { OktaRequest } from './request.js';

// Every read of what Passport keeps in its private fields, in one place: passport 0.5–0.7,
// koa-passport (which delegates `_passport` to its request) and @fastify/passport (which
// decorates the request with its authenticator). None of it is Passport's public API, so
// each read tolerates its absence.

/** What Passport (0.5 to 0.7) leaves on a request; all of it optional. */
interface PassportFields {
  _userProperty?: unknown;
  _sessionManager?: { _key?: unknown } | null;
  _passport?: { instance?: { _key?: unknown; _strategies?: unknown } | null } | null;
  passport?: { strategies?: unknown; _strategies?: unknown } | null;
}

const fields = (req: OktaRequest): PassportFields => req as OktaRequest & PassportFields;

/**
 * The strategy registry of the Passport instance running this request: passport 0.5–0.7
 * with `initialize()` and koa-passport link the instance (`_passport.instance._strategies`);
 * @fastify/passport its authenticator (`passport.strategies`). Undefined when none is linked
 * (passport 0.6+ without `initialize()`, or no Passport at all).
 */
export function strategyRegistry(req: OktaRequest): Record<string, unknown> | undefined {
  const linked = fields(req);
  const instance = linked._passport?.instance ?? linked.passport;
  if (instance === null || typeof instance !== 'object') return undefined;
  const registry =
    (instance as { _strategies?: unknown; strategies?: unknown })._strategies ??
    (instance as { strategies?: unknown }).strategies;
  return registry !== null && typeof registry === 'object' ? (registry as Record<string, unknown>) : undefined;
}

/** The session manager passport 0.6+ links to every request it authenticates: one per Passport instance. */
export function sessionManager(req: OktaRequest): object | undefined {
  const manager = fields(req)._sessionManager;
  return manager !== null && typeof manager === 'object' ? manager : undefined;
}

/** The session key Passport keeps its user under (`'passport'` unless configured). */
export function sessionKey(req: OktaRequest): unknown {
  const linked = fields(req);
  return linked._sessionManager?._key ?? linked._passport?.instance?._key ?? 'passport';
}

/** The request property Passport puts the signed-in user on (`'user'` unless configured). */
export function userProperty(req: OktaRequest): string {
  const property = fields(req)._userProperty;
  return typeof property === 'string' ? property : 'user';
}
