import type { ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { IdTokenError, TokenError } from '../core/errors.js';
import { check } from '../core/options.js';
import { clientOf, endLocalSession, type HasOktaClient, type SessionRequest } from './session.js';
import { runAsync, type Middleware } from '../passport/response.js';
import { refreshGateOf, refreshUnavailable, retryAfterSeconds, type RefreshGate } from './refresh-gate.js';
import type { OktaClient } from '../client/client.js';
import type { OktaTokens } from '../client/tokens.js';
import { observeRefresh } from './events.js';

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
   * {@link errors.TokenError}: the refresh token was revoked or expired, or the user was
   * deactivated), or its answer failed a check (an {@link errors.IdTokenError}: an ID token for
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
  /**
   * Seconds after the user's authentication at Okta (the sign-in's `auth_time`) past which
   * no refresh is made: when the access token is due, the local session is ended instead, so
   * the user signs in again, however long Okta's refresh-token policy would allow. Tokens
   * that carry no `auth_time` (neither `authTime` nor an ID token with one) count as past
   * it. Use the same value as `oktaSession`'s `absoluteLifetime`. Default: no limit.
   */
  absoluteLifetime?: number | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * Middleware that refreshes the signed-in user's access token shortly before it
 * expires. A new ID token is verified and must name the user of the sign-in (the
 * stored `subject`) with an `auth_time` no earlier than the sign-in's. When Okta says
 * `invalid_grant`, or the answer fails those checks, the tokens are not stored and the
 * local session is ended (see {@link KeepTokensFreshOptions.onRefreshRefused}).
 * Concurrent requests of one user share a single refresh.
 *
 * A failed refresh is not tried again at once. After a 429, no refresh of any user goes
 * to Okta until the rate limit resets (`X-Rate-Limit-Reset`, else `Retry-After`, else a
 * minute; at most 5 minutes): every `keepTokensFresh` of the same `OktaClient`
 * shares that wait. After any other failure (5xx, network, timeout), that user's next
 * refresh waits 5 seconds, doubling per failure in a row up to 5 minutes, until one
 * succeeds. Meanwhile a request goes on with its access token while that is still valid;
 * with an expired one it ends in a {@link errors.RefreshUnavailableError} (503), without a
 * request to Okta. The request that met the failure ends in Okta's error (a
 * {@link errors.RateLimitError}, {@link errors.ResponseError} or {@link errors.RequestError}). Either way the
 * response carries `Retry-After`. Only a hash of each refresh token is kept for this,
 * for at most 10,000 users.
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
  const refresher = new TokenRefresher(clientOf(source), options);
  return (req, res, next) => {
    refresher.handle(req, res, next);
  };
}

/** What one {@link keepTokensFresh} middleware keeps: its options, and the refreshes under way. */
class TokenRefresher<Req extends SessionRequest> {
  private readonly gate: RefreshGate;
  private readonly refreshBefore: number;
  private readonly now: () => number;
  private readonly lifetimeMs: number | undefined;
  /** Refreshes under way, by the hash of their refresh token. */
  private readonly inFlight = new Map<string, Promise<StoredTokens>>();

  constructor(
    private readonly client: OktaClient,
    private readonly options: KeepTokensFreshOptions<Req>,
  ) {
    this.gate = refreshGateOf(client);
    this.refreshBefore = options.refreshBefore ?? 60_000;
    const lifetime = options.absoluteLifetime;
    this.lifetimeMs = lifetime === undefined ? undefined : check.seconds('absoluteLifetime', lifetime, 0, 'positive') * 1000;
    // Called as a plain function, as the option is documented (a clock, not a method).
    const clock = options.now ?? Date.now;
    this.now = () => clock();
  }

  handle(req: Req, res: ServerResponse, next: (err?: unknown) => void): void {
    const tokens = this.options.getTokens(req);
    if (!tokens?.refreshToken) {
      next();
      return;
    }
    const expiresAt = new Date(tokens.accessTokenExpiresAt).getTime();
    const checkedAt = this.now();
    if (Number.isFinite(expiresAt) && expiresAt - checkedAt > this.refreshBefore) {
      next();
      return;
    }
    if (this.pastLifetime(tokens, checkedAt)) {
      // The sign-in is older than the app allows: no refresh, the session ends.
      runAsync(res, next, async () => {
        await endLocalSession(req);
        return 'next';
      });
      return;
    }
    const stillValid = (at: number): boolean => Number.isFinite(expiresAt) && expiresAt > at;
    const key = this.gate.keyOf(tokens.refreshToken);
    let pending = this.inFlight.get(key);
    if (!pending) {
      const wait = this.gate.closed(key, checkedAt);
      if (wait) {
        // No request to Okta before the wait is over: go on with a valid token, else 503.
        if (stillValid(checkedAt)) {
          next();
          return;
        }
        if (!res.headersSent) res.setHeader('Retry-After', retryAfterSeconds(wait.retryAt, checkedAt));
        next(refreshUnavailable(wait));
        return;
      }
      pending = this.start(key, { ...tokens, refreshToken: tokens.refreshToken });
    }
    const shared = pending;
    runAsync(res, next, () => this.complete(req, res, { shared, key, stillValid }));
  }

  /** Whether the sign-in of `tokens` is older than `absoluteLifetime` (or of unknown age when there is one). */
  private pastLifetime(tokens: StoredTokens, at: number): boolean {
    if (this.lifetimeMs === undefined) return false;
    const { authTime } = signInOf(tokens);
    return authTime === undefined || at >= authTime * 1000 + this.lifetimeMs;
  }

  /** Stores what the shared refresh brought, or deals with its failure. */
  private async complete(
    req: Req,
    res: ServerResponse,
    { shared, key, stillValid }: { shared: Promise<StoredTokens>; key: string; stillValid: (at: number) => boolean },
  ): Promise<'next'> {
    let fresh: StoredTokens;
    try {
      fresh = await shared;
    } catch (err) {
      if (isRefusal(err)) {
        await this.refused(req, err);
        return 'next';
      }
      // Okta unreachable: carry on with the current token while it is still valid.
      const failedAt = this.now();
      if (stillValid(failedAt)) return 'next';
      const wait = this.gate.closed(key, failedAt);
      if (wait && !res.headersSent) res.setHeader('Retry-After', retryAfterSeconds(wait.retryAt, failedAt));
      throw err;
    }
    await this.options.setTokens(req, fresh);
    return 'next';
  }

  /** One refresh, shared by the requests that need it meanwhile; its outcome opens or closes the gate. */
  private start(key: string, tokens: StoredTokens & { refreshToken: string }): Promise<StoredTokens> {
    const pending = observeRefresh(this.client.issuer, () => this.refresh(tokens), isRefusal)
      .then(
        (fresh) => {
          this.gate.succeeded(key);
          return fresh;
        },
        (err: unknown) => {
          if (isRefusal(err)) this.gate.refused(key);
          else this.gate.failed(key, err, this.now());
          throw err;
        },
      )
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pending);
    return pending;
  }

  private async refresh(tokens: StoredTokens & { refreshToken: string }): Promise<StoredTokens> {
    const { subject, authTime } = signInOf(tokens);
    const fresh = await this.client.refreshAccessToken(tokens.refreshToken, { subject, minAuthTime: authTime });
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
  }

  private refused(req: Req, reason: RefreshRefusal): void | Promise<void> {
    if (this.options.onRefreshRefused) return this.options.onRefreshRefused(req, reason);
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated hook is honoured until it is removed
    if (this.options.onInvalidGrant) return this.options.onInvalidGrant(req);
    return endLocalSession(req);
  }
}

function isRefusal(err: unknown): err is RefreshRefusal {
  return (err instanceof TokenError && err.error === 'invalid_grant') || err instanceof IdTokenError;
}

/** Who signed in, and when: kept with the tokens, else read from the ID token kept with them. */
function signInOf(tokens: StoredTokens): { subject: string | undefined; authTime: number | undefined } {
  const keptSubject = typeof tokens.subject === 'string' && tokens.subject !== '' ? tokens.subject : undefined;
  const keptAuthTime = typeof tokens.authTime === 'number' ? tokens.authTime : undefined;
  if (keptSubject !== undefined && keptAuthTime !== undefined) return { subject: keptSubject, authTime: keptAuthTime };
  const claims = idTokenClaims(tokens.idToken);
  // A kept subject wins: the ID token only fills in what was not kept (tokens of an older version).
  const subject = keptSubject ?? (typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined);
  const authTime = keptAuthTime ?? (typeof claims.auth_time === 'number' ? claims.auth_time : undefined);
  return { subject, authTime };
}

/** The claims of an ID token kept with the tokens (verified when it was received), or none. */
function idTokenClaims(idToken: string | null): { sub?: unknown; auth_time?: unknown } {
  if (!idToken) return {};
  try {
    return decodeJwt(idToken);
  } catch {
    return {};
  }
}
