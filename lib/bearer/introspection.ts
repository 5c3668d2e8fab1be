import { createHash } from 'node:crypto';
import type { ClientAuthenticator } from '../core/client-auth.js';
import { BoundedCache } from '../core/cache.js';
import { withDeadline } from '../core/deadline.js';
import { ConfigurationError, RateLimitError, ResponseError } from '../core/errors.js';
import { failureFrom, parseJSONObject } from '../core/answers.js';
import { send, type HttpSettings } from '../core/http.js';
import { observeIntrospection } from './events.js';
import { anotherIssuer, checkAccessTokenProfile, checkClient, type OktaAccessTokenClaims } from './access-token.js';
import { AccessTokenError } from '../core/errors.js';
import { sharedCall } from '../core/single-flight.js';

/**
 * Where positive introspection answers wait until the token expires, so that Okta is asked
 * once per token rather than once per request. Keys are SHA-256 hashes of the issuer and the
 * token (never the token). Several instances, and several strategies of one issuer, can share
 * one (e.g. Redis, with `PX ttl`): an answer read back goes through every check of a fresh
 * one (issuer, audience, token type, client), so one API's hit never opens another API.
 * A `get` or `set` slower than the strategy's `timeout` counts as a miss.
 * Revocation is then seen only when the entry expires: bound it with `introspectionCacheMaxAge`.
 *
 * @example
 * ```ts
 * const introspectionCache: IntrospectionCache = {
 *   async get(key) { const json = await redis.get(`okta-at:${key}`); return json ? JSON.parse(json) : undefined },
 *   async set(key, claims, ttl) { await redis.set(`okta-at:${key}`, JSON.stringify(claims), { PX: ttl }) },
 * }
 * ```
 */
export interface IntrospectionCache {
  get(key: string): OktaAccessTokenClaims | undefined | Promise<OktaAccessTokenClaims | undefined>;
  /** Keeps `claims` for `ttl` milliseconds (> 0). */
  set(key: string, claims: OktaAccessTokenClaims, ttl: number): void | Promise<void>;
}

/** Options of {@link MemoryIntrospectionCache}. */
export interface MemoryIntrospectionCacheOptions {
  /** Most answers kept; the oldest goes first. Default 10000. */
  maxEntries?: number | undefined;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * The default {@link IntrospectionCache}: in memory, bounded to `maxEntries` (the oldest
 * entry is dropped to make room: a later request for it just asks Okta again).
 *
 * @example
 * ```ts
 * new OktaBearerStrategy({ ...options, introspectionCache: new MemoryIntrospectionCache({ maxEntries: 50_000 }) }, verify)
 * ```
 */
export class MemoryIntrospectionCache implements IntrospectionCache {
  private readonly entries: BoundedCache<string, OktaAccessTokenClaims>;

  constructor(options: MemoryIntrospectionCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigurationError('maxEntries must be a positive whole number');
    }
    this.entries = new BoundedCache({ maxEntries, now: options.now });
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): OktaAccessTokenClaims | undefined {
    return this.entries.get(key);
  }

  set(key: string, claims: OktaAccessTokenClaims, ttl: number): void {
    this.entries.set(key, claims, ttl);
  }
}

export interface IntrospectionSettings {
  http: HttpSettings;
  endpoint: string;
  auth: ClientAuthenticator;
  clientSecret: string | undefined;
  issuer: string;
  audiences: readonly string[];
  clientIds: readonly string[] | undefined;
  clockTolerance: number;
  cache: IntrospectionCache;
  /** Longest time (ms) an answer is cached, whatever the token's `exp`. */
  cacheMaxAge: number;
  now: () => number;
}

/** How long a refusal (`active: false`, or a 400 about the token) is remembered: it cannot become valid. */
const NEGATIVE_TTL = 60_000;
const MAX_NEGATIVE = 10_000;
/** How long to wait after a 429 that names no reset. */
const DEFAULT_RATE_LIMIT_WAIT = 60_000;

/**
 * Asks Okta's `/v1/introspect` (RFC 7662) about a token, with the client's credentials.
 * `active: false` (and a 400 about the token) is an `invalid_token`, remembered for a minute
 * so that the same garbage never reaches Okta twice; an active answer is checked like a JWT
 * (issuer and audience required, `exp`, access token shape, client) and cached until `exp`.
 * After a 429 nothing is sent before the rate limit resets: requests meanwhile fail at once
 * with a {@link RateLimitError} (503, `Retry-After`). Concurrent requests with the same
 * token share one call.
 */
export class Introspector {
  private readonly inFlight = new Map<string, Promise<OktaAccessTokenClaims>>();
  /** Hashes of tokens Okta refused, forgotten after a minute (oldest first when full). */
  private readonly refused: BoundedCache<string, true>;
  /** After a 429: until when nothing is sent, and the error requests meet meanwhile. */
  private limit: { until: number; error: RateLimitError } | undefined;

  constructor(private readonly settings: IntrospectionSettings) {
    this.refused = new BoundedCache({ maxEntries: MAX_NEGATIVE, ttl: NEGATIVE_TTL, now: settings.now });
  }

  async introspect(token: string): Promise<OktaAccessTokenClaims> {
    const { settings } = this;
    const key = createHash('sha256').update(`${settings.issuer} ${token}`).digest('base64url');
    if (this.refused.get(key) === true) throw inactive();
    const cached = await this.cached(key);
    // Past its exp the answer is Okta's to give again (revoked since? refreshed?), tolerance or not.
    if (cached !== undefined && typeof cached.exp === 'number' && cached.exp * 1000 > settings.now()) return this.check(cached);
    return sharedCall(this.inFlight, key, () => observeIntrospection(settings.issuer, () => this.ask(token, key)));
  }

  /** A cached answer, or undefined on a miss, a failing or slow cache, or garbage in it. */
  private async cached(key: string): Promise<Record<string, unknown> | undefined> {
    const { settings } = this;
    try {
      // The app's cache: whatever it holds, typed or not.
      const value: unknown = await withDeadline(settings.cache.get(key), settings.http.timeout, () => new Error('cache timeout'));
      return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  private async ask(token: string, key: string): Promise<OktaAccessTokenClaims> {
    const { settings } = this;
    const what = 'introspection endpoint';
    if (this.limit !== undefined && settings.now() < this.limit.until) throw this.limit.error;
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const sent = await settings.auth.apply(form, headers, settings.endpoint);
    const answer = await send(settings.http, settings.endpoint, { method: 'POST', headers, body: form.toString() }, what);
    const secrets = [token, ...sent, ...(settings.clientSecret === undefined ? [] : [settings.clientSecret])];
    if (answer.status === 400) {
      // About the token sent, not about this API's client: the token is not one Okta knows.
      this.remember(key);
      throw inactive();
    }
    if (answer.status !== 200) throw this.failed(failureFrom(answer, what, secrets, settings.now()));
    const body = parseJSONObject(answer, what);
    if (typeof body.active !== 'boolean') throw new ResponseError(`Okta's ${what} answered without "active"`, answer.status);
    if (!body.active) {
      this.remember(key);
      throw inactive();
    }
    const claims = this.check(body);
    const ttl = Math.min(claims.exp * 1000 - settings.now(), settings.cacheMaxAge);
    if (ttl > 0) {
      // Awaited, so that the next request (on any instance) finds it; bounded: a failing or
      // slow cache only means Okta is asked again next time.
      await Promise.resolve()
        .then(() => withDeadline(settings.cache.set(key, claims, ttl), settings.http.timeout, () => new Error('cache timeout')))
        .catch(() => undefined);
    }
    return claims;
  }

  /** A 429 holds every introspection back until Okta's reset (`X-Rate-Limit-Reset` or `Retry-After`). */
  private failed(err: Error): Error {
    if (err instanceof RateLimitError) {
      const reset = err.rateLimit.reset?.getTime();
      const until = reset !== undefined && reset > this.settings.now() ? reset : this.settings.now() + DEFAULT_RATE_LIMIT_WAIT;
      const error = new RateLimitError(
        "Okta's introspection endpoint is rate limiting this client (429); no request is sent to it before " +
          new Date(until).toISOString(),
        { ...err.rateLimit, reset: new Date(until) },
        { errorCode: err.errorCode, errorSummary: err.errorSummary, errorId: err.errorId },
      );
      this.limit = { until, error };
      return error;
    }
    return err;
  }

  private remember(key: string): void {
    this.refused.set(key, true);
  }

  /**
   * The checks of an answer, fresh or cached (RFC 7662 §4): an access token of this issuer
   * for this API. Okta's answer for a refresh token says `token_type: Bearer` too, but names
   * no audience and no issuer: both are required (RFC 6749 §10.4).
   */
  private check(body: Record<string, unknown>): OktaAccessTokenClaims {
    const { settings } = this;
    const refuse = (description: string): AccessTokenError => new AccessTokenError('invalid_token', description);
    const tokenType = body.token_type;
    if (tokenType !== undefined && (typeof tokenType !== 'string' || !/^(bearer|dpop)$/i.test(tokenType))) {
      throw refuse('The token is not an access token (token_type)');
    }
    if (body.aud === undefined) throw refuse('The token is not an access token for this API (no aud)');
    if (body.iss !== settings.issuer) throw anotherIssuer(body.iss, settings.issuer);
    const audiences = Array.isArray(body.aud) ? body.aud : [body.aud];
    if (!audiences.some((aud) => settings.audiences.includes(aud as string))) {
      throw refuse('The access token is not meant for this API (aud)');
    }
    if (typeof body.exp !== 'number') throw new ResponseError("Okta's introspection endpoint answered without exp", 200);
    if (body.exp * 1000 <= settings.now() - settings.clockTolerance * 1000) throw refuse('The access token expired');
    // A copy: the answer may be a cache's, and the claims go to the app (scp too).
    const claims = checkAccessTokenProfile({
      ...body,
      scp: Array.isArray(body.scp) ? [...(body.scp as unknown[])] : body.scp,
      sub: typeof body.sub === 'string' ? body.sub : typeof body.client_id === 'string' ? body.client_id : undefined,
      iat: typeof body.iat === 'number' ? body.iat : undefined,
    });
    checkClient(claims, settings.clientIds);
    delete (claims as Record<string, unknown>).active;
    return claims;
  }
}

const inactive = (): AccessTokenError =>
  new AccessTokenError('invalid_token', 'The access token is not active (expired, revoked or unknown)');
