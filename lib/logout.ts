import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { timingSafeEqual } from 'node:crypto';
import {
  absoluteURL,
  clientOf,
  endLocalSession,
  redirect,
  type HasOktaClient,
  type Middleware,
  type SessionRequest,
} from './middleware.js';
import { randomToken } from './random.js';

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
}

/** Options of {@link oktaLogoutCallback}. */
export interface OktaLogoutCallbackOptions {
  /** Where to send the browser once the state checks out. Default `'/'`. */
  redirectTo?: string | undefined;
  /** Must match {@link OktaLogoutOptions.stateCookieName}. */
  stateCookieName?: string | undefined;
}

const STATE_COOKIE = 'okta_logout';

/**
 * Middleware that signs the user out everywhere: revokes the refresh and access tokens
 * (RFC 7009), ends the local session (Passport and express-session), and sends the
 * browser to Okta's `/v1/logout` with `id_token_hint`, `post_logout_redirect_uri` and a
 * fresh `state`, kept in a short-lived cookie for {@link oktaLogoutCallback} to check.
 *
 * @example
 * ```ts
 * app.post('/logout', oktaLogout(strategy, { getTokens: (req) => req.user?.tokens, postLogoutRedirectURI: '/signed-out' }))
 * app.get('/signed-out', oktaLogoutCallback({ redirectTo: '/' }))
 * ```
 */
export function oktaLogout<Req extends SessionRequest = SessionRequest>(
  source: HasOktaClient,
  options: OktaLogoutOptions<Req>,
): Middleware<Req> {
  const client = clientOf(source);
  const cookieName = options.stateCookieName ?? STATE_COOKIE;
  return (req, res, next) => {
    void (async () => {
      const tokens = options.getTokens(req) ?? {};
      // Revoking the refresh token first also revokes the access tokens issued with it.
      const revocations: Array<[string | null | undefined, 'refresh_token' | 'access_token']> = [
        [tokens.refreshToken, 'refresh_token'],
        [tokens.accessToken, 'access_token'],
      ];
      for (const [token, hint] of revocations) {
        if (!token) continue;
        await client.revokeToken(token, hint).catch((err: unknown) => options.onRevokeError?.(err));
      }
      await endLocalSession(req);
      const returnTo = absoluteURL(req, options.postLogoutRedirectURI);
      const state = randomToken(16);
      const path = new URL(returnTo).pathname;
      res.appendHeader(
        'Set-Cookie',
        serializeCookie(cookieName, state, {
          httpOnly: true,
          sameSite: 'lax',
          path,
          maxAge: 600,
          secure: returnTo.startsWith('https:'),
        }),
      );
      if (!tokens.idToken) {
        // No Okta session to end (not signed in, or no ID token kept): take the return leg directly.
        const back = new URL(returnTo);
        back.searchParams.set('state', state);
        return redirect(res, back.toString());
      }
      redirect(res, client.logoutURL({ idTokenHint: tokens.idToken, postLogoutRedirectURI: returnTo, state }).toString());
    })().catch(next);
  };
}

/**
 * Middleware for the return leg of {@link oktaLogout}: checks that Okta came back with
 * the `state` this browser was given, clears it, and redirects. A missing or different
 * state answers 403.
 */
export function oktaLogoutCallback(options: OktaLogoutCallbackOptions = {}): Middleware {
  const cookieName = options.stateCookieName ?? STATE_COOKIE;
  return (req, res) => {
    const expected = parseCookies(req.headers.cookie ?? '')[cookieName];
    const given = new URL(req.url ?? '/', 'http://x').searchParams.get('state');
    const path = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://x').pathname;
    res.appendHeader('Set-Cookie', serializeCookie(cookieName, '', { httpOnly: true, path, maxAge: 0 }));
    if (!expected || !given || !sameString(expected, given)) {
      res.statusCode = 403;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('The sign-out could not be confirmed: its state does not match this browser.');
      return;
    }
    redirect(res, options.redirectTo ?? '/');
  };
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
