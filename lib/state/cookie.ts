import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { createHash, hkdfSync } from 'node:crypto';
import { EncryptJWT, errors as joseErrors, jwtDecrypt } from 'jose';
import { ConfigurationError, StateError } from '../errors.js';
import type { OktaRequest } from '../request.js';
import type { PendingLogin, StateStore, StateStoreContext } from './store.js';

/** Options of {@link CookieStateStore}. */
export interface CookieStateStoreOptions {
  /**
   * Secret(s) the cookie encryption key is derived from, at least 32 characters each.
   * Give a list, newest first, to rotate: new cookies use the first, all are accepted.
   */
  secret: string | readonly string[];
  /** Prefix of the cookie names. Default `'okta_login'`. */
  cookieName?: string | undefined;
  /** Most pending-login cookies kept per browser; the oldest goes first. Default 5. */
  maxPending?: number | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Browsers drop cookies past about 4 KiB. */
const MAX_COOKIE_BYTES = 4000;

/**
 * Keeps each pending login in its own encrypted, authenticated cookie (JWE, `dir` +
 * `A256GCM`), so that no server-side state is needed: any instance that knows the
 * secret can finish a sign-in another one started. Works with `session: false`.
 *
 * Cookies are `HttpOnly`, scoped to the callback path, live as long as the pending login
 * (10 minutes by default), use `SameSite=Lax` for the query response mode and
 * `SameSite=None; Secure` for `form_post` (a cross-site POST), and are cleared when used.
 *
 * @example
 * ```ts
 * new OktaStrategy({ ...options, store: new CookieStateStore({ secret: process.env.STATE_SECRET! }) }, verify)
 * ```
 */
export class CookieStateStore implements StateStore {
  private readonly keys: Uint8Array[];
  private readonly prefix: string;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(options: CookieStateStoreOptions) {
    const secrets = typeof options?.secret === 'string' ? [options.secret] : options?.secret;
    if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
      throw new ConfigurationError('CookieStateStore needs secret: a string (or list of strings) of at least 32 characters');
    }
    this.keys = secrets.map(deriveKey);
    this.prefix = options.cookieName ?? 'okta_login';
    if (!/^[A-Za-z0-9_-]+$/.test(this.prefix)) throw new ConfigurationError('cookieName may use letters, digits, _ and - only');
    this.maxPending = options.maxPending ?? 5;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1)
      throw new ConfigurationError('maxPending must be a whole number >= 1');
    this.now = options.now ?? Date.now;
  }

  async save(req: OktaRequest, login: PendingLogin): Promise<void> {
    const res = responseOf(req);
    const value = await new EncryptJWT({ login })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.ceil(login.expiresAt / 1000))
      .encrypt(this.keys[0]!);
    const attributes = cookieAttributes(login, Math.max(1, Math.ceil((login.expiresAt - this.now()) / 1000)));
    const cookie = serializeCookie(this.cookieName(login.state), value, attributes);
    if (cookie.length > MAX_COOKIE_BYTES) {
      throw new ConfigurationError('The pending login does not fit in a cookie: make the state option smaller');
    }
    for (const stale of await this.oldest(req, this.maxPending - 1)) appendCookie(res, stale);
    appendCookie(res, cookie);
  }

  async take(req: OktaRequest, state: string, context: StateStoreContext): Promise<PendingLogin | undefined> {
    const name = this.cookieName(state);
    const value = parseCookies(req.headers.cookie ?? '')[name];
    if (value === undefined) return undefined;
    const login = await this.open(value);
    // Clear it whatever it holds: a pending login is used once.
    const path = login ? new URL(login.redirectURI).pathname : requestPath(req);
    appendCookie(responseOf(req), serializeCookie(name, '', { path, maxAge: 0, httpOnly: true }));
    if (login === undefined) {
      throw new StateError('The sign-in cookie is expired, tampered with, or was made with another secret');
    }
    if (login.state !== state) throw new StateError('The sign-in cookie does not belong to this state');
    if (login.strategy !== context.strategy || login.issuer !== context.issuer) {
      throw new StateError('The sign-in cookie was made for another strategy or Okta authorization server');
    }
    return login;
  }

  /** Decrypts a cookie value with each key in turn; undefined if none opens it or it expired. */
  private async open(value: string): Promise<(PendingLogin & { issuedAt?: number }) | undefined> {
    for (const key of this.keys) {
      try {
        const { payload } = await jwtDecrypt(value, key, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          currentDate: new Date(this.now()),
          requiredClaims: ['exp', 'iat'],
        });
        if (!isPendingLogin(payload.login)) return undefined;
        return { ...payload.login, issuedAt: payload.iat };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed) return undefined;
      }
    }
    return undefined;
  }

  /** Clearing cookies for the oldest pending logins beyond `keep`, and for unreadable ones. */
  private async oldest(req: OktaRequest, keep: number): Promise<string[]> {
    const cookies = parseCookies(req.headers.cookie ?? '');
    const mine = Object.entries(cookies).filter(([name]) => name.startsWith(`${this.prefix}.`));
    if (mine.length <= keep) return [];
    const opened = await Promise.all(mine.map(async ([name, value]) => ({ name, login: await this.open(value ?? '') })));
    opened.sort((a, b) => (a.login?.issuedAt ?? 0) - (b.login?.issuedAt ?? 0));
    return opened
      .slice(0, opened.length - keep)
      .map(({ name, login }) =>
        serializeCookie(name, '', { path: login ? new URL(login.redirectURI).pathname : '/', maxAge: 0, httpOnly: true }),
      );
  }

  private cookieName(state: string): string {
    return `${this.prefix}.${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
  }
}

function deriveKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'passport-okta-oidc', 'CookieStateStore A256GCM', 32));
}

function cookieAttributes(login: PendingLogin, maxAge: number): SerializeOptions {
  const callback = new URL(login.redirectURI);
  const crossSite = login.responseMode === 'form_post';
  return {
    httpOnly: true,
    path: callback.pathname,
    maxAge,
    // form_post is a cross-site POST: only SameSite=None cookies go with it, and those must be Secure.
    sameSite: crossSite ? 'none' : 'lax',
    secure: crossSite || callback.protocol === 'https:',
  };
}

function responseOf(req: OktaRequest): NonNullable<OktaRequest['res']> {
  if (!req.res) throw new ConfigurationError('CookieStateStore needs req.res (Express sets it) to write its cookies');
  return req.res;
}

function appendCookie(res: NonNullable<OktaRequest['res']>, cookie: string): void {
  res.appendHeader('Set-Cookie', cookie);
}

function requestPath(req: OktaRequest): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return new URL(url, 'http://x').pathname;
}

function isPendingLogin(value: unknown): value is PendingLogin {
  if (value === null || typeof value !== 'object') return false;
  const login = value as Record<string, unknown>;
  return (
    ['state', 'codeVerifier', 'nonce', 'redirectURI', 'strategy', 'issuer'].every((k) => typeof login[k] === 'string') &&
    typeof login.expiresAt === 'number'
  );
}
