import { ConfigurationError } from './errors.js';

/** Okta's endpoints for one authorization server. */
export interface OktaEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  keys: string;
  userinfo: string;
  revoke: string;
  logout: string;
  par: string;
  /** Token introspection (RFC 7662). */
  introspect: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Okta's admin console lives at `{org}-admin.{okta domain}`; sign-in is served by `{org}.{okta domain}`. */
const ADMIN_CONSOLE = /^([a-z0-9-]+)-admin\.((?:okta|oktapreview|okta-emea|okta-gov|trexcloud)\.com|okta\.mil)$/i;

/**
 * Parses `oktaDomain` (`acme.okta.com` or `https://acme.okta.com`) into an origin.
 * A path, query, trailing slash or credentials are refused: they are almost always a
 * pasted issuer or a typo, and would silently build wrong endpoint URLs.
 */
export function parseOktaDomain(oktaDomain: unknown): string {
  if (typeof oktaDomain !== 'string' || oktaDomain.trim() === '') {
    throw new ConfigurationError('oktaDomain is required, e.g. "https://acme.okta.com"');
  }
  const raw = oktaDomain.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigurationError(`oktaDomain "${raw}" is not a valid host name or URL`);
  }
  if (withScheme.endsWith('/')) {
    throw new ConfigurationError(`oktaDomain "${raw}" must not end with "/": use "${url.origin}"`);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(
      `oktaDomain "${raw}" must be a bare domain such as "${url.origin}" (no path, query or credentials); ` +
        'use the authServerId option for a custom authorization server',
    );
  }
  const admin = ADMIN_CONSOLE.exec(url.hostname);
  if (admin) {
    throw new ConfigurationError(
      `oktaDomain "${raw}" is the admin console's domain: use "https://${admin[1]}.${admin[2]}", not the admin console's domain`,
    );
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new ConfigurationError(`oktaDomain "${raw}" must use https (http is allowed for localhost only)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`oktaDomain "${raw}" must use https`);
  }
  return url.origin;
}

/**
 * Builds the endpoint set of Okta's org authorization server (no `authServerId`) or of
 * a custom one. See https://developer.okta.com/docs/concepts/auth-servers/
 */
export function oktaEndpoints(origin: string, authServerId?: string): OktaEndpoints {
  if (authServerId !== undefined && !/^[A-Za-z0-9_-]+$/.test(authServerId)) {
    throw new ConfigurationError(`authServerId "${authServerId}" must be an id such as "default" or "aus1a2b3c"`);
  }
  const issuer = authServerId === undefined ? origin : `${origin}/oauth2/${authServerId}`;
  const base = authServerId === undefined ? `${origin}/oauth2/v1` : `${issuer}/v1`;
  return {
    issuer,
    authorize: `${base}/authorize`,
    token: `${base}/token`,
    keys: `${base}/keys`,
    userinfo: `${base}/userinfo`,
    revoke: `${base}/revoke`,
    logout: `${base}/logout`,
    par: `${base}/par`,
    introspect: `${base}/introspect`,
  };
}
