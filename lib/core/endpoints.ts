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
export function parseOktaDomain(oktaDomain: unknown, issuer?: unknown): string {
  if (typeof oktaDomain !== 'string' || oktaDomain.trim() === '') {
    throw new ConfigurationError(`oktaDomain is required${missingDomainHint(issuer)}`);
  }
  const raw = oktaDomain.trim();
  refusePlaceholder('oktaDomain', raw);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigurationError(`oktaDomain "${raw}" is not a valid host name or URL`);
  }
  checkDomainURL(raw, withScheme, url);
  return url.origin;
}

/** Okta's own libraries take the issuer URL instead; here it only names the `iss` expected. */
function missingDomainHint(issuer: unknown): string {
  const from = typeof issuer === 'string' ? URL.parse(issuer) : null;
  return from
    ? `: the endpoints come from oktaDomain and authServerId (for this issuer: oktaDomain "${from.origin}"` +
        `${/^\/oauth2\/[\w-]+$/.test(from.pathname) ? `, authServerId "${from.pathname.slice(8)}"` : ''}); ` +
        'issuer is needed only when tokens name another issuer than that (a custom URL domain)'
    : ', e.g. "https://acme.okta.com"';
}

/** An origin and nothing else, not the admin console's, https but on loopback hosts. */
function checkDomainURL(raw: string, withScheme: string, url: URL): void {
  if (withScheme.endsWith('/')) {
    throw new ConfigurationError(`oktaDomain "${raw}" must not end with "/": use "${url.origin}"`);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(
      `oktaDomain "${raw}" must be a bare domain such as "${url.origin}" (no path, query or credentials); ` +
        'use the authServerId option for a custom authorization server',
    );
  }
  if (ADMIN_CONSOLE.test(url.hostname)) {
    const signIn = url.hostname.replace(ADMIN_CONSOLE, '$1.$2');
    throw new ConfigurationError(
      `oktaDomain "${raw}" is the admin console's domain: use "https://${signIn}", not the admin console's domain`,
    );
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new ConfigurationError(`oktaDomain "${raw}" must use https (http is allowed for localhost only)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`oktaDomain "${raw}" must use https`);
  }
}

/** `{yourOktaDomain}`, `${OKTA_DOMAIN}`, `<your-okta-domain>`: text from a doc or a template, not a domain. */
const PLACEHOLDER = /[{}<>$]|youroktadomain/i;

function refusePlaceholder(option: string, raw: string): void {
  if (!PLACEHOLDER.test(raw)) return;
  throw new ConfigurationError(
    `${option} "${raw}" is a placeholder from Okta's docs or a template: replace it with your Okta domain, ` +
      `e.g. "https://dev-123456.okta.com" (Okta's Admin Console shows it under your name, top right)`,
  );
}

/**
 * Builds the endpoint set of Okta's org authorization server (no `authServerId`) or of
 * a custom one. See https://developer.okta.com/docs/concepts/auth-servers/
 * `issuer`, when given, is the `iss` tokens carry instead of the URL the endpoints are under
 * (a custom URL domain whose authorization server's Issuer is still the Okta URL).
 */
export function oktaEndpoints(origin: string, authServerId?: string, issuer?: string): OktaEndpoints {
  if (authServerId !== undefined && !/^[A-Za-z0-9_-]+$/.test(authServerId)) {
    throw new ConfigurationError(`authServerId "${authServerId}" must be an id such as "default" or "aus1a2b3c"`);
  }
  const ownIssuer = authServerId === undefined ? origin : `${origin}/oauth2/${authServerId}`;
  const base = authServerId === undefined ? `${origin}/oauth2/v1` : `${ownIssuer}/v1`;
  return {
    issuer: issuer === undefined ? ownIssuer : checkIssuer(issuer, authServerId),
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

/**
 * Checks the `issuer` option: Okta's Issuer of the authorization server as the Admin Console
 * shows it. Only its host may differ from the endpoints' (Okta's Issuer setting switches
 * between the Okta URL and a custom URL domain); its path is the server's: none for the org
 * server, `/oauth2/{authServerId}` for a custom one. Written as Okta writes it: https (http
 * for loopback hosts only), no trailing slash, query or credentials, in the URL's normal form,
 * because `iss` is compared as a string.
 */
function checkIssuer(issuer: unknown, authServerId: string | undefined): string {
  const path = authServerId === undefined ? '' : `/oauth2/${authServerId}`;
  const { given, url } = issuerURL(issuer, `"https://login.example.com${path}"`);
  const ownPath = url.pathname === '/' ? '' : url.pathname;
  if (ownPath !== path) {
    throw new ConfigurationError(
      `issuer "${given}" must have the path ${path === '' ? 'of the org authorization server (none)' : `"${path}"`}, ` +
        `as ${authServerId === undefined ? 'no authServerId is' : `authServerId "${authServerId}" is`} given: ` +
        'only the host differs between the Issuer settings Okta offers (Okta URL, custom URL domain)',
    );
  }
  const normal = `${url.origin}${ownPath}`;
  if (given !== normal) throw new ConfigurationError(`issuer "${given}" must be written as Okta does: "${normal}"`);
  return given;
}

/** The `issuer` option as a URL: https (http on loopback hosts), without trailing slash, query or credentials. */
function issuerURL(issuer: unknown, example: string): { given: string; url: URL } {
  if (typeof issuer !== 'string' || issuer === '') {
    throw new ConfigurationError(`issuer must be the Issuer Okta shows for the authorization server, e.g. ${example}`);
  }
  refusePlaceholder('issuer', issuer);
  const url = URL.parse(issuer);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigurationError(`issuer "${issuer}" must be an https URL such as ${example}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new ConfigurationError(`issuer "${issuer}" must use https (http is allowed for localhost only)`);
  }
  if (issuer.endsWith('/')) {
    throw new ConfigurationError(`issuer "${issuer}" must not end with "/": Okta's Issuer has none`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(`issuer "${issuer}" must have no query, fragment or credentials`);
  }
  return { given: issuer, url };
}

/** An `iss` worth quoting in a message or header: a short URL of printable characters without quotes. */
function quotable(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 200 && /^https?:\/\/[\x21\x23-\x26\x28-\x5B\x5D-\x7E]+$/.test(value)
    ? value
    : undefined;
}

/**
 * What to say when a token's `iss` is not the expected issuer: both, and how to fix it.
 * Neither value is a secret (Okta publishes its issuers); a received `iss` that is not a
 * short printable URL is not repeated. No double quotes, so that the text fits a header.
 */
export function issuerMismatch(received: unknown, expected: string): string {
  const shown = quotable(received);
  const got = shown === undefined ? (received === undefined ? 'is missing' : 'is not a URL') : `is '${shown}'`;
  return (
    `${got}, not the expected '${expected}': if Okta's Issuer setting for this authorization server ` +
    `is not the URL oktaDomain and authServerId make (e.g. a custom URL domain), set the issuer option to the Issuer Okta shows`
  );
}
