import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { absoluteURL } from '../passport/request.js';
import { clientOf, endLocalSession, type HasOktaClient, type SessionRequest } from './session.js';
import { runAsync, type Middleware } from '../passport/response.js';
import { randomToken } from '../core/random.js';
import { toldLogout } from './events.js';
import type { OktaRequest } from '../passport/request.js';

/** Tokens the logout needs; any may be missing. */
export interface LogoutTokens {
  idToken?: string | null | undefined;
  accessToken?: string | null | undefined;
  refreshToken?: string | null | undefined;
}

/** Options of {@link oktaLogout}. */
export interface OktaLogoutOptions<Req extends SessionRequest = SessionRequest> {
  /** Reads the signed-in user's tokens, e.g. `(req) => req.user?.tokens`. */
  getTokens(req: Req): LogoutTokens | undefined;
  /** Where Okta sends the browser back: absolute, or a path resolved against the request. Register it in Okta. */
  postLogoutRedirectURI: string;
  /** Name of the short-lived cookie holding the logout `state`. Default `'okta_logout'`. */
  stateCookieName?: string | undefined;
  /** Told about a token that could not be revoked (the logout goes on). */
  onRevokeError?: ((err: unknown) => void) | undefined;
  /**
   * Called once the tokens are revoked and the local session has ended, just before the
   * browser is sent to Okta: e.g. to clear the session cookie. Not called for a refused
   * request. `res` is Node's response when the middleware runs; `undefined` with
   * {@link OktaLogout.handle}, whose caller sends the answer.
   * A `Clear-Site-Data` header set here that clears cookies (`"cookies"` or `"*"`) is sent
   * with the return leg instead ({@link OktaLogout.callback}, once the state checks out):
   * on this response it would also wipe the logout state cookie set with it.
   */
  onSignedOut?: ((req: Req, res: ServerResponse | undefined) => void | Promise<void>) | undefined;
  /**
   * Sign out on `GET` as well as `POST`. Default `false`: any page on the web can make a
   * browser GET a URL (a link, an image, `location = '/logout'`), and older browsers send
   * nothing with such a request that tells it came from another site. Other methods
   * are answered 405.
   */
  allowGet?: boolean | undefined;
  /**
   * Turn off the same-origin check. By default a request that the browser marks as coming
   * from another site is answered 403 and revokes nothing: `Sec-Fetch-Site` other than
   * `same-origin` or `none` (the user's own navigation), or, from a browser that sends no
   * `Sec-Fetch-Site`, an `Origin` other than this app's (its scheme per Express's `trust
   * proxy`, and the Host header). Turn it off only if the route has CSRF protection of its own.
   */
  allowCrossSite?: boolean | undefined;
  /** The return leg: where to send the browser once the state checks out. Default `'/'`. */
  redirectTo?: string | undefined;
}

/**
 * The sign-out {@link oktaLogout} makes: Express-style middleware for the sign-out route,
 * with the same work as an answer for frameworks whose responses are not Node's, and the
 * return leg in both forms.
 */
export interface OktaLogout<Req extends SessionRequest = SessionRequest> extends Middleware<Req> {
  /**
   * The sign-out for Fastify, Koa and the like: the same checks and work, returning the
   * answer (see {@link OktaLogoutAnswer}) for the app to send through its framework, so that
   * the framework's own hooks (a session cookie to update) run. Rejects only if ending the
   * local session fails.
   */
  handle(req: Req): Promise<OktaLogoutAnswer>;
  /** Middleware for the return leg, at `postLogoutRedirectURI`: checks the state, clears it, redirects. */
  callback: Middleware;
  /** The return leg as an answer to send (see {@link OktaLogout.handle}). */
  handleCallback(req: OktaRequest): OktaLogoutAnswer;
}

/**
 * What to answer a sign-out request with, for any framework to send: the status, the
 * headers (`Set-Cookie` as a list, `Location` for a redirect, `Allow` for a 405) and a
 * plain-text body for a refusal.
 */
export interface OktaLogoutAnswer {
  status: number;
  headers: {
    'Set-Cookie': string[];
    Location?: string;
    Allow?: string;
    'Content-Type'?: string;
    /** On the return leg: what the sign-out's `onSignedOut` asked to clear (see {@link OktaLogoutOptions.onSignedOut}). */
    'Clear-Site-Data'?: string;
  };
  body?: string;
}

const STATE_COOKIE = 'okta_logout';
/**
 * Appended to the logout state in its cookie when the return leg is to send
 * `Clear-Site-Data`: `.c` for `"cookies"`, `.a` for `"*"`.
 */
const CLEAR_ON_RETURN: Readonly<Record<string, string>> = { c: '"cookies"', a: '"*"' };

/**
 * Signs the user out everywhere: revokes the refresh and access tokens (RFC 7009), ends the
 * local session (Passport and the session), and sends the browser to Okta's `/v1/logout`
 * with `id_token_hint`, `post_logout_redirect_uri` and a fresh `state`, kept in a
 * short-lived cookie that the return leg ({@link OktaLogout.callback}) checks.
 *
 * Only a same-origin `POST` signs out (a form button on the app's pages): a `GET` is
 * answered 405 and a request from another site 403, before anything is revoked, so that
 * another site cannot sign the user out (see {@link OktaLogoutOptions.allowGet} and
 * {@link OktaLogoutOptions.allowCrossSite}).
 *
 * @example
 * ```ts
 * const logout = oktaLogout(strategy, { getTokens: (req) => req.user?.tokens, postLogoutRedirectURI: '/signed-out' })
 * app.post('/logout', logout)
 * app.get('/signed-out', logout.callback)
 * // Fastify: fastify.post('/logout', async (request, reply) => { const a = await logout.handle(request); ... })
 * ```
 */
export function oktaLogout<Req extends SessionRequest = SessionRequest>(
  source: HasOktaClient,
  options: OktaLogoutOptions<Req>,
): OktaLogout<Req> {
  const handle = toldLogout('sign-out', logoutHandler<Req>(source, options));
  const handleCallback = toldLogout('return', callbackHandler(options));
  const middleware: Middleware<Req> = (req, res, next) => {
    runAsync(res, next, async () => {
      send(res, await handle(req, res));
      return 'answered';
    });
  };
  const callback: Middleware = (req, res) => {
    send(res, handleCallback(req));
  };
  return Object.assign(middleware, { handle: (req: Req) => handle(req, undefined), callback, handleCallback });
}

/**
 * The sign-out's work and answer. With Node's response (the middleware), a `Clear-Site-Data`
 * that `onSignedOut` set on it to clear cookies is moved to the return leg.
 */
function logoutHandler<Req extends SessionRequest>(
  source: HasOktaClient,
  options: OktaLogoutOptions<Req>,
): (req: Req, res: ServerResponse | undefined) => Promise<OktaLogoutAnswer> {
  const client = clientOf(source);
  const cookieName = options.stateCookieName ?? STATE_COOKIE;
  const methods = options.allowGet === true ? ['POST', 'GET'] : ['POST'];
  return async (req, res) => {
    if (!methods.includes(req.method ?? '')) {
      return refusal(405, 'Signing out takes a POST request (a form button), not a link.', methods.join(', '));
    }
    if (options.allowCrossSite !== true && fromAnotherSite(req)) {
      return refusal(403, 'Sign-out refused: the request came from another site.');
    }
    const tokens = options.getTokens(req) ?? {};
    // Revoking the refresh token first also revokes the access tokens issued with it.
    const revocations: [string | null | undefined, 'refresh_token' | 'access_token'][] = [
      [tokens.refreshToken, 'refresh_token'],
      [tokens.accessToken, 'access_token'],
    ];
    for (const [token, hint] of revocations) {
      if (!token) continue;
      await client.revokeToken(token, hint).catch((err: unknown) => options.onRevokeError?.(err));
    }
    await endLocalSession(req);
    await options.onSignedOut?.(req, res);
    const clear = res === undefined ? undefined : deferCookieClearing(res);
    const returnTo = absoluteURL(req, options.postLogoutRedirectURI);
    const state = randomToken(16);
    // On Path=/ so that the return leg clears it whatever path it arrives by (`/signed-out/`).
    const cookie = serializeCookie(cookieName, clear === undefined ? state : `${state}.${clear}`, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: 600,
      secure: returnTo.startsWith('https:'),
    });
    let location: string;
    if (!tokens.idToken) {
      // No Okta session to end (not signed in, or no ID token kept): take the return leg directly.
      const back = new URL(returnTo);
      back.searchParams.set('state', state);
      location = back.toString();
    } else {
      location = client.logoutURL({ idTokenHint: tokens.idToken, postLogoutRedirectURI: returnTo, state }).toString();
    }
    return { status: 302, headers: { 'Set-Cookie': [cookie], Location: location } };
  };
}

/** The return leg: the state this browser was given must come back; 403 otherwise. */
function callbackHandler(
  options: Pick<OktaLogoutOptions, 'stateCookieName' | 'redirectTo'>,
): (req: OktaRequest) => OktaLogoutAnswer {
  const cookieName = options.stateCookieName ?? STATE_COOKIE;
  return (req) => {
    const [expected, clearSiteData] = (parseCookies(req.headers.cookie ?? '')[cookieName] ?? '').split('.');
    const given = new URL(req.url ?? '/', 'http://x').searchParams.get('state');
    const clear = serializeCookie(cookieName, '', { httpOnly: true, path: '/', maxAge: 0 });
    if (!expected || !given || !sameString(expected, given)) {
      const answer = refusal(403, 'The sign-out could not be confirmed: its state does not match this browser.');
      answer.headers['Set-Cookie'].push(clear);
      return answer;
    }
    const answer: OktaLogoutAnswer = { status: 302, headers: { 'Set-Cookie': [clear], Location: options.redirectTo ?? '/' } };
    const directive = clearSiteData === undefined ? undefined : CLEAR_ON_RETURN[clearSiteData];
    if (directive !== undefined) answer.headers['Clear-Site-Data'] = directive;
    return answer;
  };
}

/**
 * Whether the browser says the request comes from another site. Fetch Metadata decides
 * when it is sent (all current browsers): only `same-origin` and `none` (typed,
 * bookmarked) pass; `same-site` does not, as a sibling subdomain may host anyone's
 * pages. Without it, an `Origin` must be this app's own; `null` (a sandboxed or
 * privacy-hidden origin) is not. A request with neither header carries no sign of a
 * browser on another site (a script, or an old browser's top-level navigation, which
 * `allowGet: false` keeps out).
 */
function fromAnotherSite(req: OktaRequest): boolean {
  const site = headerValue(req, 'sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = headerValue(req, 'origin');
  if (origin === undefined) return false;
  let own: string;
  try {
    own = new URL(absoluteURL(req, '/')).origin;
  } catch {
    return true; // a Host header that is no host: nothing to be the same origin as
  }
  return URL.parse(origin)?.origin !== own;
}

/**
 * Takes the clearing of cookies out of a `Clear-Site-Data` header that `onSignedOut` set
 * on the sign-out response: Chromium clears the cookies after storing those of the same
 * response, the logout state cookie included, and the return leg would be refused. Other
 * types (`"cache"`, `"storage"`) stay. Returns the flag for the return leg, if any.
 */
function deferCookieClearing(res: ServerResponse): string | undefined {
  const header = res.getHeader('Clear-Site-Data');
  if (header === undefined) return undefined;
  const types = (Array.isArray(header) ? header.join(',') : String(header))
    .split(',')
    .map((type) => type.trim())
    .filter(Boolean);
  const all = types.includes('"*"');
  if (!all && !types.includes('"cookies"')) return undefined;
  const rest = all ? [] : types.filter((type) => type !== '"cookies"');
  if (rest.length === 0) res.removeHeader('Clear-Site-Data');
  else res.setHeader('Clear-Site-Data', rest.join(', '));
  return all ? 'a' : 'c';
}

function headerValue(req: OktaRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}

function refusal(status: number, message: string, allow?: string): OktaLogoutAnswer {
  const headers: OktaLogoutAnswer['headers'] = { 'Set-Cookie': [], 'Content-Type': 'text/plain; charset=utf-8' };
  if (allow !== undefined) headers.Allow = allow;
  return { status, headers, body: message };
}

/** Sends an answer on Node's response, adding to the cookies already set on it. */
function send(res: ServerResponse, answer: OktaLogoutAnswer): void {
  const { 'Set-Cookie': cookies, ...rest } = answer.headers;
  for (const cookie of cookies) res.appendHeader('Set-Cookie', cookie);
  for (const [name, value] of Object.entries(rest)) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.end(answer.body);
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
