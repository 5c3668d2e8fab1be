import { decodeJwt } from 'jose';
import { IdTokenError, TokenError } from './errors.js';
import { clientOf, endLocalSession, runAsync, type HasOktaClient, type Middleware, type SessionRequest } from './middleware.js';
import type { OktaTokens } from './tokens.js';

/** Tokens as an app keeps them; after a trip through a JSON session store the date is a string. */
export interface StoredTokens extends Omit<OktaTokens, 'accessTokenExpiresAt' | 'idToken' | 'subject' | 'authTime'> {
  accessTokenExpiresAt: Date | string | number;
  idToken: string | null;
  /**
   * The signed-in user's `sub` ({@link OktaTokens.subject}). Keep it: a refresh whose ID
   * token names another user is refused. When it is missing (tokens kept by an older
   * version), the `sub` of the stored ID token is used; with neither, see
   * {@link keepTokensFresh}.
   */
  subject?: string | null | undefined;
  /** The sign-in's `auth_time` ({@link OktaTokens.authTime}): a refreshed ID token must not name an earlier one. */
  authTime?: number | null | undefined;
}

/** Why {@link keepTokensFresh} gave up on a refresh: Okta's `invalid_grant`, or an ID token that failed a check. */
export type RefreshRefusal = TokenError | IdTokenError;

/** Options of {@link keepTokensFresh}. */
export interface KeepTokensFreshOptions<Req extends SessionRequest = SessionRequest> {
  /** Reads the tokens kept for this request, e.g. `(req) => req.user?.tokens`. */
  getTokens(req: Req): StoredTokens | undefined;
  /** Stores the refreshed tokens, e.g. `(req, tokens) => { req.user.tokens = tokens }`. */
  setTokens(req: Req, tokens: StoredTokens): void | Promise<void>;
  /** Refresh this many milliseconds before the access token expires. Default 60000. */
  refreshBefore?: number | undefined;
  /**
   * Called when a refresh is refused for good: Okta answered `invalid_grant` (a
   * {@link TokenError}: the refresh token was revoked or expired, or the user was
   * deactivated), or its answer failed a check (an {@link IdTokenError}: an ID token for
   * another user, an `auth_time` earlier than the sign-in's, a bad signature...). The
   * refreshed tokens are not stored, and the request goes on once the hook is done.
   * Default: sign the user out and destroy the session; a hook of your own must end the
   * session as well.
   */
  onRefreshRefused?: ((req: Req, reason: RefreshRefusal) => void | Promise<void>) | undefined;
  /**
   * @deprecated Use {@link KeepTokensFreshOptions.onRefreshRefused}. Given without it,
   * this hook is called for every refused refresh, `invalid_grant` and ID token failures alike.
   */
  onInvalidGrant?: ((req: Req) => void | Promise<void>) | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * Middleware that refreshes the signed-in user's access token shortly before it
 * expires. A new ID token is verified and must name the user of the sign-in (the
 * stored `subject`) with an `auth_time` no earlier than the sign-in's. When Okta says
 * `invalid_grant`, or the answer fails those checks, the tokens are not stored and the
 * local session is ended (see {@link KeepTokensFreshOptions.onRefreshRefused}); when
 * Okta cannot be reached, the request goes on with the current token while it is valid.
 * Concurrent requests of one user share a single refresh.
 *
 * Tokens that carry neither `subject` nor an ID token (kept by an older version) give
 * nothing to match a new ID token against: a refresh that returns one is refused, so
 * the user signs in again. Keep `subject` with the tokens.
 *
 * @example
 * ```ts
 * app.use(keepTokensFresh(strategy, {
 *   getTokens: (req) => req.user?.tokens,
 *   setTokens: (req, tokens) => { req.user.tokens = tokens; req.session.passport.user.tokens = tokens },
 * }))
 * ```
 */
export function keepTokensFresh<Req extends SessionRequest = SessionRequest>(
  source: HasOktaClient,
  options: KeepTokensFreshOptions<Req>,
): Middleware<Req> {
  const client = clientOf(source);
  const refreshBefore = options.refreshBefore ?? 60_000;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, Promise<StoredTokens>>();

  const refresh = async (tokens: StoredTokens & { refreshToken: string }): Promise<StoredTokens> => {
    const { subject, authTime } = signInOf(tokens);
    const fresh = await client.refreshAccessToken(tokens.refreshToken, { subject, minAuthTime: authTime });
    if (subject === undefined && fresh.idToken !== null) {
      throw new IdTokenError('sub', 'cannot be matched: no subject was kept from the sign-in');
    }
    return {
      ...fresh,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      idToken: fresh.idToken ?? tokens.idToken,
      subject: subject ?? null,
      authTime: authTime ?? null,
    };
  };

  const refused = (req: Req, reason: RefreshRefusal): void | Promise<void> => {
    if (options.onRefreshRefused) return options.onRefreshRefused(req, reason);
    if (options.onInvalidGrant) return options.onInvalidGrant(req);
    return endLocalSession(req);
  };

  return (req, res, next) => {
    const tokens = options.getTokens(req);
    if (!tokens || !tokens.refreshToken) return next();
    const expiresAt = new Date(tokens.accessTokenExpiresAt).getTime();
    if (Number.isFinite(expiresAt) && expiresAt - now() > refreshBefore) return next();
    const key = tokens.refreshToken;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = refresh({ ...tokens, refreshToken: key }).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    const shared = pending;
    runAsync(res, next, async () => {
      let fresh: StoredTokens;
      try {
        fresh = await shared;
      } catch (err) {
        if ((err instanceof TokenError && err.error === 'invalid_grant') || err instanceof IdTokenError) {
          await refused(req, err);
          return 'next';
        }
        // Okta unreachable: carry on with the current token while it is still valid.
        if (Number.isFinite(expiresAt) && expiresAt > now()) return 'next';
        throw err;
      }
      await options.setTokens(req, fresh);
      return 'next';
    });
  };
}

/** Who signed in, and when: kept with the tokens, or read from the ID token kept with them. */
function signInOf(tokens: StoredTokens): { subject: string | undefined; authTime: number | undefined } {
  if (typeof tokens.subject === 'string' && tokens.subject !== '') {
    return { subject: tokens.subject, authTime: typeof tokens.authTime === 'number' ? tokens.authTime : undefined };
  }
  if (!tokens.idToken) return { subject: undefined, authTime: undefined };
  try {
    // Kept by an older version without `subject`: this ID token was verified when it was received.
    const claims = decodeJwt(tokens.idToken);
    return {
      subject: typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined,
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
    };
  } catch {
    return { subject: undefined, authTime: undefined };
  }
}
