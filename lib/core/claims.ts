import { ConfigurationError } from './errors.js';
import { isObject } from './options.js';

/**
 * What a route asks of the claims of a sign-in or an access token: a predicate, or an object
 * of claim names to required values, where a claim that is a list must include the value
 * (or each value of a list) and any other claim must equal it.
 */
export type ClaimRule = ((claims: Readonly<Record<string, unknown>>) => boolean) | Readonly<Record<string, unknown>>;

/** Whether `claims` meet `rule`. A missing claim never meets a required value. */
export function claimsMeet(claims: Readonly<Record<string, unknown>>, rule: ClaimRule): boolean {
  if (typeof rule === 'function') {
    // Fails closed: only `true` meets it (from JavaScript, a predicate may return anything).
    const verdict: unknown = rule(claims);
    return verdict === true;
  }
  return Object.entries(rule).every(([name, wanted]) => {
    const actual = claims[name];
    if (actual === undefined) return false;
    const values = Array.isArray(wanted) ? wanted : [wanted];
    return Array.isArray(actual) ? values.every((value) => actual.includes(value)) : values.length === 1 && actual === values[0];
  });
}

/** A groups claim (Okta's `groups` by default) as a list of strings, empty when absent or not a list. */
export function groupsOf(claims: Readonly<Record<string, unknown>>, claim = 'groups'): string[] {
  const groups = claims[claim];
  return Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [];
}

/** Whether the groups claim (`claim`, default `groups`) names `groups`: any one of them, or with `all`, every one. */
export function inGroups(
  claims: Readonly<Record<string, unknown>>,
  groups: readonly string[],
  all: boolean,
  claim = 'groups',
): boolean {
  const held = groupsOf(claims, claim);
  return all ? groups.every((group) => held.includes(group)) : groups.some((group) => held.includes(group));
}

/**
 * Okta's predefined `acr_values` and the classes that meet each: a stronger class meets a
 * weaker one (`phr` meets `urn:okta:loa:2fa:any`), except that a password-only request is
 * met only by itself and a "two factors if possible" one by any class (Okta may give one).
 */
const OKTA_ACR_MET_BY: Readonly<Record<string, readonly string[]>> = {
  'urn:okta:loa:1fa:any': [
    'urn:okta:loa:1fa:any',
    'urn:okta:loa:1fa:pwd',
    'urn:okta:loa:2fa:any:ifpossible',
    'urn:okta:loa:2fa:any',
    'phr',
    'phrh',
  ],
  'urn:okta:loa:1fa:pwd': ['urn:okta:loa:1fa:pwd'],
  'urn:okta:loa:2fa:any:ifpossible': [
    'urn:okta:loa:1fa:any',
    'urn:okta:loa:1fa:pwd',
    'urn:okta:loa:2fa:any:ifpossible',
    'urn:okta:loa:2fa:any',
    'phr',
    'phrh',
  ],
  'urn:okta:loa:2fa:any': ['urn:okta:loa:2fa:any', 'phr', 'phrh'],
  phr: ['phr', 'phrh'],
  phrh: ['phrh'],
};

/**
 * Whether an authentication of class `actual` (an ID token's or access token's `acr`) meets
 * `required`: the same class, or for Okta's predefined classes a stronger one. Any other
 * value is met only by itself; a missing `acr` never meets anything.
 */
export function acrMeets(actual: unknown, required: string): boolean {
  if (typeof actual !== 'string') return false;
  return actual === required || (OKTA_ACR_MET_BY[required]?.includes(actual) ?? false);
}

/**
 * Whether an authentication at `authTime` (seconds since the epoch, `auth_time`) is recent
 * enough for `maxAge` seconds at `now` (epoch ms); with no `maxAge`, any is. Fails closed
 * on a missing `auth_time`.
 */
export function recentEnough(authTime: unknown, maxAge: number | undefined, now: number): boolean {
  if (maxAge === undefined) return true;
  return typeof authTime === 'number' && now - authTime * 1000 <= maxAge * 1000;
}

/** An `acr` value one guard may ask for: visible ASCII without space, `"` or `\` (it goes into headers and URLs). */
export function isAcrValue(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value);
}

/** Options of the `requireGroups` guards, given after the group names. */
export interface RequireGroupsOptions {
  /** Every group, not any one of them. Default `false`. */
  all?: boolean | undefined;
  /** The claim that lists the groups, if the authorization server names it otherwise. Default `'groups'`. */
  claim?: string | undefined;
}

/**
 * The group names and options of a `requireGroups(...)` call: names first, options last;
 * throws (with `guard`'s name) on anything else.
 */
export function groupArguments(
  guard: string,
  args: readonly (string | RequireGroupsOptions)[],
): { groups: string[]; all: boolean; claim: string } {
  const last = args.at(-1);
  // From JavaScript, the last argument may be null.
  const options = isObject(last) ? last : {};
  const groups = args.filter((arg): arg is string => typeof arg === 'string');
  const named = groups.length + (isObject(last) ? 1 : 0) === args.length;
  if (groups.length === 0 || groups.includes('') || !named) {
    throw new ConfigurationError(`${guard} needs one or more group names, e.g. ${guard}("Admins"), and its options last`);
  }
  const claim = options.claim ?? 'groups';
  if (typeof claim !== 'string' || claim === '')
    throw new ConfigurationError(`${guard}'s claim must be a claim name such as "groups"`);
  return { groups, all: options.all === true, claim };
}
