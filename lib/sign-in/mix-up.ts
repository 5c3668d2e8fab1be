import { ConfigurationError } from '../core/errors.js';
import { sessionManager, strategyRegistry } from '../passport/fields.js';
import { requestPath } from '../passport/request.js';
import type { OktaRequest } from '../passport/request.js';

/** One strategy's claim on a callback: where its sign-ins finish, for which issuer. */
export interface CallbackClaim {
  /** The callback as configured (for messages). */
  callback: string;
  /** The callback's path, as {@link callbackKey} spells it. */
  key: string;
  strategy: string;
  issuer: string;
  requireIss: boolean;
}

/**
 * The claims of strategy objects, by the object Passport keeps in its registry (an
 * `OktaStrategy` registers itself when it is made). A registry entry that is not here is
 * another kind of strategy.
 */
const claimsOf = new WeakMap<object, CallbackClaim>();
/**
 * Every strategy made in this process and still alive, with the Passport session manager
 * whose requests it served (`null`: served outside Passport; absent: none yet), for
 * passport >= 0.6 without `initialize()`, whose registry cannot be seen from a request.
 */
const live = new Map<WeakRef<object>, { claim: CallbackClaim; scope?: object | null }>();
const liveOf = new WeakMap<CallbackClaim, { claim: CallbackClaim; scope?: object | null }>();

/** Changes whenever `live` does (a strategy made, assigned a scope, or collected): cached verdicts are then stale. */
let generation = 0;
const collected = new FinalizationRegistry<WeakRef<object>>((ref) => {
  live.delete(ref);
  generation++;
});

export function registerClaim(strategy: object, claim: CallbackClaim): void {
  claimsOf.set(strategy, claim);
  const entry = { claim };
  const ref = new WeakRef(strategy);
  live.set(ref, entry);
  liveOf.set(claim, entry);
  collected.register(strategy, ref);
  generation++;
}

/**
 * A callback path as routers compare it: the path of an absolute URL or the path itself,
 * percent-encoding and dot segments normalized by URL parsing, lower case (Express routes
 * ignore case by default), no trailing slash (nor do they need one). `/Auth/Callback/`,
 * `/auth/callback` and `https://app.example:443/auth/callback` are one callback.
 */
export function callbackKey(pathOrURL: string): string {
  const path = new URL(pathOrURL, 'http://x').pathname.toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Sibling verdicts per registry, with the registry's entries they were computed from. */
const verdicts = new WeakMap<object, { entries: unknown[]; conflicts: Map<CallbackClaim, string> }>();
/** Sibling verdicts per session manager when no registry is visible, with the `generation` they were computed at. */
const liveVerdicts = new WeakMap<object, { generation: number; conflicts: Map<CallbackClaim, string> }>();

/**
 * Refuses a sign-in (start or callback) of a strategy whose callback path is shared with a
 * strategy of another authorization server registered in the same Passport instance,
 * unless both require the `iss` parameter (RFC 9207). Without `iss`, a callback does not
 * say which server issued its code: a hostile server could send the user to the other one
 * and receive the code it issued (a mix-up attack, RFC 9700 §4.4).
 *
 * The siblings are every strategy in the instance's registry, whatever the names they were
 * registered under and whether they served a request yet; paths are compared as routers
 * compare them ({@link callbackKey}), so two spellings of one callback are one callback.
 */
export function checkSiblings(req: OktaRequest, claim: CallbackClaim): void {
  const registry = strategyRegistry(req);
  if (registry === undefined) {
    // passport >= 0.6 without passport.initialize() links only its session manager to the
    // request, not its strategies. Otherwise not run by Passport (a test harness, a custom host).
    checkAmongLive(claim, sessionManager(req) ?? null);
    return;
  }
  const entry = liveOf.get(claim);
  if (entry !== undefined && entry.scope === undefined) entry.scope = registry;
  const entries = Object.values(registry);
  let verdict = verdicts.get(registry);
  if (verdict === undefined || !sameEntries(verdict.entries, entries)) {
    verdict = { entries, conflicts: conflictsAmong(entries) };
    verdicts.set(registry, verdict);
  }
  const conflict = verdict.conflicts.get(claim);
  if (conflict !== undefined) throw new ConfigurationError(conflict);
}

/**
 * RFC 9700 §4.4.2: the authorization response must arrive at the redirect URI of the
 * pending login it finishes. With `trustProxy`, a path prefix a proxy stripped
 * (`X-Forwarded-Prefix`) is put back first. Returns a refusal, or undefined.
 */
export function wrongArrival(req: OktaRequest, redirectURI: string, trustProxy: boolean): string | undefined {
  let path = requestPath(req);
  const prefix = trustProxy ? req.headers['x-forwarded-prefix'] : undefined;
  if (typeof prefix === 'string' && prefix.startsWith('/')) path = `${prefix.replace(/\/+$/, '')}${path}`;
  const arrived = callbackKey(path);
  const expected = callbackKey(redirectURI);
  if (arrived === expected) return undefined;
  return (
    `The sign-in response arrived at ${arrived}, but this sign-in was started for the callback ${expected}: ` +
    'it is refused (mix-up defence, RFC 9700 §4.4.2). Finish each sign-in at its own callbackURL with its own strategy.'
  );
}

/**
 * Without a registry, a strategy's siblings are the strategies that served requests of the
 * same session manager, and those that served none yet (they may belong to this app):
 * which strategy served first changes nothing. Strategies that served another Passport
 * instance belong to another app.
 */
function checkAmongLive(claim: CallbackClaim, scope: object | null): void {
  const entry = liveOf.get(claim);
  if (entry !== undefined && entry.scope === undefined) {
    entry.scope = scope;
    generation++;
  }
  if (scope === null) return;
  let verdict = liveVerdicts.get(scope);
  if (verdict?.generation !== generation) {
    const siblings: CallbackClaim[] = [];
    for (const other of live.values()) if (other.scope === undefined || other.scope === scope) siblings.push(other.claim);
    verdict = { generation, conflicts: conflictsOf(siblings) };
    liveVerdicts.set(scope, verdict);
  }
  const conflict = verdict.conflicts.get(claim);
  if (conflict !== undefined) {
    throw new ConfigurationError(
      `${conflict} Passport's strategy registry is not visible to this check: with passport 0.6 or later, add ` +
        'app.use(passport.initialize()) so that only the strategies of this Passport instance are compared.',
    );
  }
}

function sameEntries(seen: readonly unknown[], now: readonly unknown[]): boolean {
  return seen.length === now.length && seen.every((entry, i) => entry === now[i]);
}

function conflictsAmong(entries: readonly unknown[]): Map<CallbackClaim, string> {
  return conflictsOf(
    entries.flatMap((entry) => {
      const claim = entry !== null && typeof entry === 'object' ? claimsOf.get(entry) : undefined;
      return claim === undefined ? [] : [claim];
    }),
  );
}

/** Pairs of claims on one callback path for different issuers (unless both require `iss`), by claim. */
function conflictsOf(found: readonly CallbackClaim[]): Map<CallbackClaim, string> {
  const byKey = new Map<string, Set<CallbackClaim>>();
  for (const claim of found) {
    const same = byKey.get(claim.key) ?? new Set();
    byKey.set(claim.key, same.add(claim));
  }
  const conflicts = new Map<CallbackClaim, string>();
  for (const group of byKey.values()) {
    if (group.size > 1) addConflicts([...group], conflicts);
  }
  return conflicts;
}

function addConflicts(claims: readonly CallbackClaim[], conflicts: Map<CallbackClaim, string>): void {
  for (const [i, a] of claims.entries()) {
    for (const b of claims.slice(i + 1)) {
      if (a.issuer === b.issuer || (a.requireIss && b.requireIss)) continue;
      const message =
        `Strategies "${a.strategy}" and "${b.strategy}" finish sign-ins of different Okta authorization servers ` +
        `(${a.issuer} and ${b.issuer}) at the same callback path ${a.key} (callbackURL "${a.callback}" and ` +
        `"${b.callback}"): a callback could not tell which server issued its code (mix-up attack). Give each ` +
        'strategy a callbackURL with a path of its own, or set requireIss: true on both if both servers send iss in the callback.';
      if (!conflicts.has(a)) conflicts.set(a, message);
      if (!conflicts.has(b)) conflicts.set(b, message);
    }
  }
}
