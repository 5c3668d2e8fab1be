import { ConfigurationError } from '../core/errors.js';
import { check, checkOptionNames } from '../core/options.js';
import type { TenantOwnedOption, TenantResolver } from './tenant-types.js';

// The checks of OktaStrategy's options that are not the option list itself.

/** The options a {@link TenantConfig} gives, refused beside `tenant`. */
export const TENANT_OWNED: readonly string[] = Object.keys({
  oktaDomain: true,
  authServerId: true,
  issuer: true,
  clientID: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
  privateKey: true,
  privateKeyId: true,
} as const satisfies Record<TenantOwnedOption, true>);
const tenantModeNames = (names: readonly string[]): string[] => [
  ...names.filter((name) => !TENANT_OWNED.includes(name)),
  'tenant',
  'maxTenants',
  'tenantTimeout',
];

/** The `tenant` and `maxTenants` options, checked: no option an org's config gives may be set beside them. */
export function tenantOption(
  options: object,
  strategyNames: readonly string[],
): { resolve: TenantResolver; max: number; timeout: number } {
  const { tenant, maxTenants, tenantTimeout } = options as { tenant?: unknown; maxTenants?: unknown; tenantTimeout?: unknown };
  if (typeof tenant !== 'function') throw new ConfigurationError('tenant must be a function (req) => TenantConfig');
  const owned = TENANT_OWNED.find((name) => name in options);
  if (owned !== undefined) {
    throw new ConfigurationError(`${owned} is given per Okta org by the tenant resolver's TenantConfig, not beside tenant`);
  }
  checkOptionNames('OktaStrategy', options, tenantModeNames(strategyNames));
  const max = maxTenants ?? 100;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw new ConfigurationError('maxTenants must be a whole number >= 1');
  return { resolve: tenant as TenantResolver, max, timeout: check.milliseconds('tenantTimeout', tenantTimeout, 5000) };
}

/** A scope list from a string (`'openid profile'`) or an array, empty entries left out. */
export function scopeList(scope: string | readonly string[], name: string): string[] {
  // From JavaScript, `scope` may be anything.
  const list: unknown = typeof scope === 'string' ? scope.split(' ') : scope;
  if (!isStringArray(list)) throw new ConfigurationError(`${name} must be a string or an array of strings`);
  return list.filter(Boolean);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}

/**
 * A path `callbackURL` must start with `/`: `auth/okta/callback` would be resolved against
 * the path of each request, giving a different redirect URI per page. An absolute one must
 * be http(s) (`localhost:3000/cb` parses as a URL of the scheme `localhost:`).
 */
export function checkCallbackURL(callbackURL: string): void {
  if (callbackURL.startsWith('/')) {
    if (callbackURL.startsWith('//')) {
      throw new ConfigurationError(`callbackURL "${callbackURL}" must be a path starting with a single "/" or an absolute URL`);
    }
    return;
  }
  const url = URL.canParse(callbackURL) ? new URL(callbackURL) : null;
  if (url !== null && (url.protocol === 'https:' || url.protocol === 'http:')) return;
  const path = `/${callbackURL.replace(/^[./]+/, '')}`;
  throw new ConfigurationError(
    url === null
      ? `callbackURL "${callbackURL}" is a relative path: start it with "/" (e.g. "${path}") or give an absolute URL`
      : `callbackURL "${callbackURL}" must be an absolute http(s) URL (e.g. "https://${callbackURL}") or a path starting with "/"`,
  );
}
