import { decodeJwt } from 'jose';
import { TokenError } from './errors.js';
import { clientOf, endLocalSession, type HasOktaClient, type Middleware, type SessionRequest } from './middleware.js';
import type { OktaTokens } from './tokens.js';

/** Tokens as an app keeps them; after a trip through a JSON session store the date is a string. */
export interface StoredTokens extends Omit<OktaTokens, 'accessTokenExpiresAt' | 'idToken'> {
  accessTokenExpiresAt: Date | string | number;
  idToken: string | null;
}

/** Options of {@link keepTokensFresh}. */
export interface KeepTokensFreshOptions<Req extends SessionRequest = SessionRequest> {
  /** Reads the tokens kept for this request, e.g. `(req) => req.user?.tokens`. */
  getTokens(req: Req): StoredTokens | undefined;
  /** Stores the refreshed tokens, e.g. `(req, tokens) => { req.user.tokens = tokens }`. */
  setTokens(req: Req, tokens: StoredTokens): void | Promise<void>;
  /** Refresh this many milliseconds before the access token expires. Default 60000. */
  refreshBefore?: number | undefined;
  /**
   * Called when Okta refuses the refresh token (`invalid_grant`: revoked, expired, or the
   * user was deactivated). Default: sign the user out and destroy the session.
   */
  onInvalidGrant?: ((req: Req) => void | Promise<void>) | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * Middleware that refreshes the signed-in user's access token shortly before it
 * expires, re-verifying any new ID token (same `sub`, no nonce). When Okta says
 * `invalid_grant`, the local session is ended. Concurrent requests of one user share
 * a single refresh.
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
    const subject = tokens.idToken ? decodeJwt(tokens.idToken).sub : undefined;
    const fresh = await client.refreshAccessToken(tokens.refreshToken, { subject });
    return {
      ...fresh,
      refreshToken: fresh.refreshToken ?? tokens.refreshToken,
      idToken: fresh.idToken ?? tokens.idToken,
    };
  };

  return (req, _res, next) => {
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
    pending.then(
      async (fresh) => {
        await options.setTokens(req, fresh);
        next();
      },
      async (err: unknown) => {
        if (err instanceof TokenError && err.error === 'invalid_grant') {
          try {
            await (options.onInvalidGrant ?? endLocalSession)(req);
            return next();
          } catch (endError) {
            return next(endError);
          }
        }
        // Okta unreachable: carry on with the current token while it is still valid.
        if (Number.isFinite(expiresAt) && expiresAt > now()) return next();
        next(err);
      },
    );
  };
}
