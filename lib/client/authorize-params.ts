import { ConfigurationError } from '../core/errors.js';

/**
 * Parameters of the authorization request that the strategy and client own: they carry the
 * protocol's one-time values and its checks (a `max_age` or `acr_values` sent without the
 * strategy knowing would go unchecked in the ID token), or have an option of their own.
 * `extraParams` may never set them. With the option to use instead, where there is one.
 */
const OWNED: ReadonlyMap<string, string | undefined> = new Map([
  ['response_type', undefined],
  ['client_id', undefined],
  ['redirect_uri', 'use callbackURL'],
  ['scope', 'use scope'],
  ['state', 'per sign-in data goes in the state option'],
  ['nonce', undefined],
  ['code_challenge', undefined],
  ['code_challenge_method', undefined],
  ['response_mode', 'use responseMode'],
  ['request_uri', 'use pushedAuthorizationRequests'],
  ['dpop_jkt', 'use dpop'],
  ['prompt', 'use prompt'],
  ['login_hint', 'use loginHint'],
  ['max_age', 'use maxAge, so that auth_time is checked'],
  ['acr_values', 'use acrValues, so that acr is checked'],
  ['idp', 'use idp'],
  ['sessionToken', 'use sessionToken'],
]);

/** At most this many extra parameters, each name and value at most this long: a URL has limits. */
const MAX_EXTRA = 32;
const MAX_LENGTH = 2048;

/**
 * `extraParams` checked where an app sets them for good (strategy options,
 * `createAuthorizationURL`): a protocol-owned name is a {@link ConfigurationError} that names
 * the option to use instead. Returns a frozen copy.
 */
export function checkExtraParams(params: unknown, where: string): Readonly<Record<string, string>> {
  if (params === undefined) return {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new ConfigurationError(`${where}: extraParams must be an object of string values, e.g. { ui_locales: 'fr' }`);
  }
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length > MAX_EXTRA) throw new ConfigurationError(`${where}: extraParams takes at most ${MAX_EXTRA} parameters`);
  for (const [name, value] of entries) {
    if (OWNED.has(name)) {
      const instead = OWNED.get(name);
      throw new ConfigurationError(
        `${where}: extraParams may not set "${name}", which the strategy sets and checks itself${instead ? `: ${instead}` : ''}`,
      );
    }
    if (name === '' || name.length > MAX_LENGTH || typeof value !== 'string' || value.length > MAX_LENGTH) {
      throw new ConfigurationError(`${where}: extraParams "${name}" must be a non-empty name with a string value`);
    }
  }
  return Object.freeze(Object.fromEntries(entries as [string, string][]));
}

/**
 * Per-request `extraParams` (`passport.authenticate('okta', { extraParams })`): protocol-owned
 * names and values that are not strings are left out, so that a request can never replace
 * what the protocol owns. Layered over the strategy's own.
 */
export function requestExtraParams(base: Readonly<Record<string, string>>, params: unknown): Readonly<Record<string, string>> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return base;
  const merged: Record<string, string> = { ...base };
  let count = Object.keys(merged).length;
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
    if (OWNED.has(name) || name === '' || name.length > MAX_LENGTH) continue;
    if (typeof value !== 'string' || value.length > MAX_LENGTH) continue;
    if (!(name in merged) && count++ >= MAX_EXTRA) continue;
    merged[name] = value;
  }
  return merged;
}
