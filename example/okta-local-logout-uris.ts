/**
 * The app URLs `npm run okta:local` calls when Okta signs a user out: back-channel logout,
 * front-channel logout and Universal Logout. Each has a flag and a variable, and a default
 * path under the first redirect URI's origin; `none` turns one off.
 */

/** Each URL: its client field, its flag, and its default path. */
export const LOGOUT_URIS = [
  { name: 'backchannelLogoutUri', flag: 'backchannel-logout-uri', path: '/auth/okta/backchannel-logout' },
  { name: 'frontchannelLogoutUri', flag: 'frontchannel-logout-uri', path: '/auth/okta/frontchannel-logout' },
  { name: 'universalLogoutUri', flag: 'universal-logout-uri', path: '/auth/okta/universal-logout' },
] as const;

/** `backchannelLogoutUri`, `frontchannelLogoutUri` or `universalLogoutUri`. */
export type LogoutUriName = (typeof LOGOUT_URIS)[number]['name'];
/** Some of the three URLs, by client field. */
export type LogoutUris = Partial<Record<LogoutUriName, string>>;

/** `backchannel-logout-uri` -> `LOCAL_OKTA_BACKCHANNEL_LOGOUT_URI`. */
export const variableOf = (flag: string): string => `LOCAL_OKTA_${flag.toUpperCase().replace(/-/g, '_')}`;

/**
 * The URLs given by flags (first) or variables, each an absolute http(s) URL or `none`;
 * throws a `TypeError` naming a bad one.
 */
export function readLogoutUris(flags: Partial<Record<string, unknown>>, env: NodeJS.ProcessEnv): LogoutUris {
  const uris: LogoutUris = {};
  for (const { name, flag } of LOGOUT_URIS) {
    const value = flags[flag] ?? env[variableOf(flag)];
    if (typeof value !== 'string') continue;
    if (value !== 'none' && !/^https?:$/.test(URL.parse(value)?.protocol ?? '')) {
      throw new TypeError(`--${flag} must be an absolute http(s) URL or none (got "${value}")`);
    }
    uris[name] = value;
  }
  return uris;
}

/** The URLs in effect: given, or defaulted under the first redirect URI's origin, less those `none`. */
export function appLogoutUris(settings: LogoutUris & { redirectUris: readonly string[] }): LogoutUris {
  const origin = new URL(settings.redirectUris[0]!).origin;
  const uris: LogoutUris = {};
  for (const { name, path } of LOGOUT_URIS) {
    const value = settings[name] ?? `${origin}${path}`;
    if (value !== 'none') uris[name] = value;
  }
  return uris;
}

/** The banner's lines for these URLs, with what each receives. */
export function logoutLines(uris: LogoutUris): string[] {
  const lines = [];
  if (uris.backchannelLogoutUri) lines.push(`  back-channel logout    ${uris.backchannelLogoutUri} (POST logout_token)`);
  if (uris.frontchannelLogoutUri) lines.push(`  front-channel logout   ${uris.frontchannelLogoutUri} (iframe GET ?iss=&sid=)`);
  if (uris.universalLogoutUri) {
    lines.push(`  Universal Logout       ${uris.universalLogoutUri} (POST, Bearer JWT)`);
    lines.push('                         try: npm run okta:local -- universal-logout --user alice@example.com');
  }
  return lines;
}
