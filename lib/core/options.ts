import type { OktaClientOptions } from '../client/client.js';
import { ConfigurationError } from './errors.js';
import type { OktaStrategyOptions } from '../sign-in/strategy.js';

// The option names each constructor knows. `satisfies` makes the compiler fail when an
// option is added to the interface but not here, so a new option can never be refused.
const CLIENT_OPTIONS = {
  authServerId: true,
  issuer: true,
  tokenEndpointAuthMethod: true,
  privateKey: true,
  privateKeyId: true,
  dpop: true,
  pushedAuthorizationRequests: true,
  timeout: true,
  fetch: true,
  idTokenSigningAlgorithms: true,
  clockTolerance: true,
  trustedAudiences: true,
  jwksCooldown: true,
  jwksMaxAge: true,
  now: true,
} as const satisfies Record<keyof OktaClientOptions, true>;

const STRATEGY_OWN_OPTIONS = {
  oktaDomain: true,
  clientID: true,
  clientSecret: true,
  callbackURL: true,
  scope: true,
  name: true,
  userInfo: true,
  responseMode: true,
  store: true,
  stateMaxAge: true,
  requireIss: true,
  onReportError: true,
  verifyTimeout: true,
  allowedHosts: true,
  trustProxy: true,
  extraParams: true,
  passReqToCallback: true,
} as const satisfies Record<Exclude<keyof OktaStrategyOptions, keyof OktaClientOptions>, true>;

export const CLIENT_OPTION_NAMES: readonly string[] = Object.keys(CLIENT_OPTIONS);
export const STRATEGY_OPTION_NAMES: readonly string[] = [...Object.keys(STRATEGY_OWN_OPTIONS), ...CLIENT_OPTION_NAMES];

/**
 * Names people bring from other libraries (passport-oauth2, passport-openidconnect, Okta's
 * own SDKs), with what to do instead. Checked before the spelling suggestions.
 */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  client_id: 'use clientID',
  client_secret: 'use clientSecret',
  redirectUri: 'use callbackURL',
  redirectURI: 'use callbackURL',
  redirect_uri: 'use callbackURL',
  redirectUrl: 'use callbackURL',
  orgUrl: 'use oktaDomain',
  domain: 'use oktaDomain',
  authorizationURL: 'the endpoints follow from oktaDomain and authServerId',
  tokenURL: 'the endpoints follow from oktaDomain and authServerId',
  userInfoURL: 'the endpoints follow from oktaDomain and authServerId',
  pkce: 'PKCE (S256) is always on: remove it',
  state: 'state is always on: remove it (per sign-in data goes in passport.authenticate(name, { state }))',
  nonce: 'a nonce is always sent and checked: remove it',
  scopes: 'use scope',
  skipUserProfile: 'use userInfo: false',
  passReqToCallBack: 'use passReqToCallback',
};

/**
 * Refuses option names that `owner` does not know, with what was probably meant:
 * `clientId` → "did you mean clientID?". An unknown option is always a mistake that
 * would otherwise be silently ignored.
 */
export function checkOptionNames(owner: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const hint = FOREIGN_OPTIONS[name] ?? suggestion(name, known);
    const said = `${owner} has no option "${name}"${hint ? `: ${hint}` : ''}`;
    throw new ConfigurationError(`${said}${said.endsWith('?') ? '' : '.'} See docs/configuration.md for the options.`);
  }
}

function suggestion(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A few typos, never more than a third of the name: beyond that the guess is noise.
  return best !== undefined && bestDistance <= Math.min(3, Math.ceil(name.length / 3)) ? `did you mean ${best}?` : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The client's options out of the strategy's, for `new OktaClient(...)`. */
export function clientOptionsOf(options: OktaClientOptions): OktaClientOptions {
  const picked: Record<string, unknown> = {};
  for (const name of CLIENT_OPTION_NAMES) if (name in options) picked[name] = (options as Record<string, unknown>)[name];
  return picked as OktaClientOptions;
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
