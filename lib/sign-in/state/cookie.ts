import { serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { createHash, hkdfSync } from 'node:crypto';
import { EncryptJWT, errors as joseErrors, jwtDecrypt } from 'jose';
import { ConfigurationError, StateError } from '../../core/errors.js';
import type { OktaRequest } from '../../passport/request.js';
import { appendCookie, responseOf, watchResponses } from './cookie-sink.js';
import type { PendingLogin, StateStore, StateStoreContext } from './store.js';

/** Options of {@link CookieStateStore}. */
export interface CookieStateStoreOptions {
  /**
   * Secret(s) the cookie encryption key is derived from, at least 32 characters each.
   * Give a list to rotate: new cookies use the first, all are accepted. Empty or undefined
   * entries are left out, so `[process.env.STATE_SECRET, process.env.STATE_SECRET_ACCEPTED]`
   * works with the second variable unset; at least one must remain.
   */
  secret: string | readonly (string | undefined)[];
  /**
   * Prefix of the cookie names. Default `'okta_login'`. On an https callback URL the
   * names also start with `__Host-` (`__Host-okta_login.0`, ...), which browsers accept
   * only from this exact host, with `Secure` and `Path=/`: a sibling subdomain cannot
   * plant one.
   */
  cookieName?: string | undefined;
  /**
   * Most pending-login cookies per browser (slots used in turn: the oldest is overwritten). Default 5.
   *
   * All of the store's cookies together stay within 8 KiB: 8192 bytes of `name=value` pairs
   * and separators in the `Cookie` header, half of what Node accepts in request headers
   * (16 KiB, else 431), as they go with every request to the site while a sign-in is pending.
   * A pending sign-in takes about 650 bytes plus 4/3 of its app state (the `state` option,
   * as JSON): 5 fit with app states up to about 700 bytes each; with the strategy's largest
   * (2 KiB), the 2 newest do. When a new sign-in does not fit, the oldest pending ones are
   * dropped (their callbacks then fail with 403, and the user starts again). A sign-in whose
   * own cookie would exceed 4000 bytes (what browsers keep) is refused at its start with a
   * `ConfigurationError`: only long callback or issuer URLs with a large app state get there.
   */
  maxPending?: number | undefined;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Most bytes all cookies of one store take in a request's Cookie header (pairs and `; `). */
const COOKIE_STORE_MAX_BYTES = 8192;

/** Browsers drop cookies past about 4 KiB (name and value). */
const MAX_COOKIE_BYTES = 4000;

/** Cookie name prefix that browsers accept only with `Secure`, `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2). */
const HOST_PREFIX = '__Host-';

/**
 * Keeps each pending login in its own encrypted, authenticated cookie (JWE, `dir` +
 * `A256GCM`), so that no server-side state is needed: any instance that knows the
 * secret can finish a sign-in another one started. Works with `session: false`.
 *
 * Cookies are `HttpOnly`, on `Path=/` (so that the callback clears them by the path
 * they were set with, whatever path it arrives on), live as long as the pending login
 * (10 minutes by default), use `SameSite=Lax` for the query response mode and
 * `SameSite=None; Secure` for `form_post` (a cross-site POST), and are cleared when
 * used, also when they cannot be read. On an https callback URL they are `__Host-`
 * cookies (`Secure`, no `Domain`), and a pending login for an https callback is taken
 * from no other name. They take `maxPending` slots in turn (a small `<name>_next`
 * cookie says which is next) and together stay within 8 KiB, the oldest dropped to
 * make room: however often sign-in is started, they neither pile up nor outgrow the
 * request headers.
 *
 * @example
 * ```ts
 * new OktaStrategy({ ...options, store: new CookieStateStore({ secret: process.env.STATE_SECRET! }) }, verify)
 * ```
 */
export class CookieStateStore implements StateStore {
  /** The keys derived from the secrets: new cookies are encrypted with the first. */
  private readonly keys: readonly [Uint8Array, ...Uint8Array[]];
  private readonly prefix: string;
  private readonly maxPending: number;
  /** Names of the slot cookies, plain and `__Host-`. */
  private readonly slotNames: ReadonlySet<string>;
  private readonly now: () => number;

  constructor(options: CookieStateStoreOptions) {
    // From JavaScript, `new CookieStateStore()` is a missing secret, not a TypeError.
    const [first, ...others] = secretsOf((options as CookieStateStoreOptions | undefined)?.secret);
    this.keys = [deriveKey(first), ...others.map(deriveKey)];
    this.prefix = options.cookieName ?? 'okta_login';
    if (!/^[A-Za-z0-9_-]+$/.test(this.prefix)) throw new ConfigurationError('cookieName may use letters, digits, _ and - only');
    this.maxPending = options.maxPending ?? 5;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1)
      throw new ConfigurationError('maxPending must be a whole number >= 1');
    this.now = options.now ?? Date.now;
    this.slotNames = new Set(
      Array.from({ length: this.maxPending }, (_, slot) => [this.slotName(slot, false), this.slotName(slot, true)]).flat(),
    );
    watchResponses();
  }

  async save(req: OktaRequest, login: PendingLogin): Promise<void> {
    const res = responseOf(req);
    const secureHost = isHttps(login.redirectURI);
    const jwe = await new EncryptJWT({ login })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(Math.ceil(login.expiresAt / 1000))
      .encrypt(this.keys[0]);
    const maxAge = Math.max(1, Math.ceil((login.expiresAt - this.now()) / 1000));
    const attributes = cookieAttributes(login, maxAge, secureHost);
    const sent = firstValues(req.headers.cookie);
    const counterName = this.counterName(secureHost);
    const next = Number(sent.get(counterName));
    const slot = Number.isInteger(next) && next >= 0 ? next % this.maxPending : 0;
    const name = this.slotName(slot, secureHost);
    const value = `${stateTag(login.state)}.${jwe}`;
    if (pairBytes(name, value) > MAX_COOKIE_BYTES) {
      throw new ConfigurationError(
        `The pending sign-in needs a ${pairBytes(name, value)}-byte cookie, more than the ${MAX_COOKIE_BYTES} bytes ` +
          'browsers keep: make the state option smaller',
      );
    }
    const counter = String((slot + 1) % this.maxPending);
    // The newest pending logins that fit with this one stay; older ones are dropped.
    let total = pairBytes(name, value) + pairBytes(counterName, counter) + 2;
    const dropped: string[] = [];
    for (let age = 1; age < this.maxPending; age++) {
      const other = this.slotName((slot - age + this.maxPending) % this.maxPending, secureHost);
      const otherValue = sent.get(other);
      if (otherValue === undefined) continue;
      total += pairBytes(other, otherValue) + 2;
      if (dropped.length > 0 || total > COOKIE_STORE_MAX_BYTES) dropped.push(other);
    }
    appendCookie(res, serializeCookie(name, value, attributes));
    for (const other of dropped) appendCookie(res, clearCookie(other, attributes.secure === true));
    appendCookie(
      res,
      serializeCookie(counterName, counter, {
        path: '/',
        maxAge,
        httpOnly: true,
        sameSite: 'lax',
        secure: attributes.secure === true,
      }),
    );
  }

  async take(req: OktaRequest, state: string, context: StateStoreContext): Promise<PendingLogin | undefined> {
    const found = this.find(req.headers.cookie, `${stateTag(state)}.`);
    if (found === undefined) return undefined;
    const login = await this.open(found.value);
    // Cleared whatever it holds (a pending login is used once), by the name and path it
    // was set with: never by the request's path, which may differ (`/callback/`).
    const secure = found.secureHost || (login ? login.responseMode === 'form_post' : req.method === 'POST');
    appendCookie(responseOf(req), clearCookie(found.name, secure));
    if (login === undefined) {
      throw new StateError('The sign-in cookie is expired, tampered with, or was made with another secret');
    }
    if (isHttps(login.redirectURI) !== found.secureHost) {
      // A cookie for an https callback is only taken from a __Host- name, which no other host can set.
      throw new StateError('The sign-in cookie has the wrong name for its callback URL');
    }
    if (login.state !== state) throw new StateError('The sign-in cookie does not belong to this state');
    if (login.strategy !== context.strategy || (context.tenants !== true && login.issuer !== context.issuer)) {
      throw new StateError('The sign-in cookie was made for another strategy or Okta authorization server');
    }
    return login;
  }

  /**
   * The slot cookie whose value starts with `tag` (a `__Host-` one first), and the JWE
   * after the tag. Every cookie of a name counts, not just the first the browser sends.
   */
  private find(header: string | undefined, tag: string): { name: string; value: string; secureHost: boolean } | undefined {
    let plain: { name: string; value: string; secureHost: boolean } | undefined;
    for (const [name, value] of cookiePairs(header)) {
      if (!value.startsWith(tag) || !this.slotNames.has(name)) continue;
      const secureHost = name.startsWith(HOST_PREFIX);
      const match = { name, value: value.slice(tag.length), secureHost };
      if (secureHost) return match;
      plain ??= match;
    }
    return plain;
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

  private slotName(slot: number, secureHost: boolean): string {
    return `${secureHost ? HOST_PREFIX : ''}${this.prefix}.${slot}`;
  }

  private counterName(secureHost: boolean): string {
    return `${secureHost ? HOST_PREFIX : ''}${this.prefix}_next`;
  }
}

/** A short tag of the state, so the callback finds its cookie without decrypting the others. */
function stateTag(state: string): string {
  return createHash('sha256').update(state).digest('base64url').slice(0, 16);
}

/** The secrets of the `secret` option, empty and undefined entries left out (an unset variable). */
function secretsOf(secret: unknown): [string, ...string[]] {
  const secrets = (Array.isArray(secret) ? (secret as unknown[]) : [secret]).filter((s) => s !== undefined && s !== '');
  const [first, ...others] = secrets;
  if (first === undefined) {
    throw new ConfigurationError(
      'CookieStateStore got no secret: every one given is empty or unset. Set the environment variable it is read from ' +
        'to a random string of at least 32 characters',
    );
  }
  if (!isSecret(first) || !others.every(isSecret)) {
    throw new ConfigurationError('CookieStateStore needs secret: a string (or list of strings) of at least 32 characters');
  }
  return [first, ...others];
}

function isSecret(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 32;
}

function deriveKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'passport-okta-oidc', 'CookieStateStore A256GCM', 32));
}

function isHttps(url: string): boolean {
  return url.startsWith('https:');
}

function cookieAttributes(login: PendingLogin, maxAge: number, secureHost: boolean): SerializeOptions {
  const crossSite = login.responseMode === 'form_post';
  return {
    httpOnly: true,
    path: '/',
    maxAge,
    // form_post is a cross-site POST: only SameSite=None cookies go with it, and those must be Secure.
    sameSite: crossSite ? 'none' : 'lax',
    secure: crossSite || secureHost,
  };
}

/** A Set-Cookie that removes `name` as set by this store (browsers ignore a __Host- one without Secure). */
function clearCookie(name: string, secure: boolean): string {
  return serializeCookie(name, '', { path: '/', maxAge: 0, httpOnly: true, secure: secure || name.startsWith(HOST_PREFIX) });
}

/** Bytes of `name=value` in a Cookie header. */
function pairBytes(name: string, value: string): number {
  return Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
}

/** Every `name=value` pair of a Cookie header, duplicates included, in order. */
function cookiePairs(header: string | undefined): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) pairs.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return pairs;
}

/** The first value of each cookie name, as browsers send the most specific path first. */
function firstValues(header: string | undefined): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of cookiePairs(header)) if (!values.has(name)) values.set(name, value);
  return values;
}

function isPendingLogin(value: unknown): value is PendingLogin {
  if (value === null || typeof value !== 'object') return false;
  const login = value as Record<string, unknown>;
  return (
    ['state', 'codeVerifier', 'nonce', 'redirectURI', 'strategy', 'issuer'].every((k) => typeof login[k] === 'string') &&
    typeof login.expiresAt === 'number'
  );
}
