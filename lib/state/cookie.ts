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
  /** Most pending-login cookies per browser (slots used in turn: the oldest is overwritten). Default 5. */
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
 * They take `maxPending` slots in turn (a small `<name>_next` cookie on `/` says which is
 * next, since the callback-path cookies are not visible where a sign-in starts), so
 * however often sign-in is started, no more than `maxPending` pile up.
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
    const jwe = await new EncryptJWT({ login })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.ceil(login.expiresAt / 1000))
      .encrypt(this.keys[0]!);
    const maxAge = Math.max(1, Math.ceil((login.expiresAt - this.now()) / 1000));
    const next = Number(parseCookies(req.headers.cookie ?? '')[this.counterName]);
    const slot = Number.isInteger(next) && next >= 0 ? next % this.maxPending : 0;
    const cookie = serializeCookie(this.slotName(slot), `${stateTag(login.state)}.${jwe}`, cookieAttributes(login, maxAge));
    if (cookie.length > MAX_COOKIE_BYTES) {
      throw new ConfigurationError('The pending login does not fit in a cookie: make the state option smaller');
    }
    appendCookie(res, cookie);
    const secure = cookieAttributes(login, maxAge).secure;
    appendCookie(
      res,
      serializeCookie(this.counterName, String((slot + 1) % this.maxPending), {
        path: '/',
        maxAge,
        httpOnly: true,
        sameSite: 'lax',
        secure,
      }),
    );
  }

  async take(req: OktaRequest, state: string, context: StateStoreContext): Promise<PendingLogin | undefined> {
    const cookies = parseCookies(req.headers.cookie ?? '');
    const tag = `${stateTag(state)}.`;
    let name: string | undefined;
    for (let slot = 0; slot < this.maxPending && name === undefined; slot++) {
      if (cookies[this.slotName(slot)]?.startsWith(tag)) name = this.slotName(slot);
    }
    if (name === undefined) return undefined;
    const login = await this.open(cookies[name]!.slice(tag.length));
    // Clear it whatever it holds: a pending login is used once.
    appendCookie(responseOf(req), serializeCookie(name, '', { path: requestPath(req), maxAge: 0, httpOnly: true }));
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
  private async open(value: string): Promise<PendingLogin | undefined> {
    for (const key of this.keys) {
      try {
        const { payload } = await jwtDecrypt(value, key, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          currentDate: new Date(this.now()),
          requiredClaims: ['exp', 'iat'],
        });
        return isPendingLogin(payload.login) ? payload.login : undefined;
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired || err instanceof joseErrors.JWTClaimValidationFailed) return undefined;
      }
    }
    return undefined;
  }

  private slotName(slot: number): string {
    return `${this.prefix}.${slot}`;
  }

  private get counterName(): string {
    return `${this.prefix}_next`;
  }
}

/** A short tag of the state, so the callback finds its cookie without decrypting the others. */
function stateTag(state: string): string {
  return createHash('sha256').update(state).digest('base64url').slice(0, 16);
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
