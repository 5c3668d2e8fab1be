import { createHash } from 'node:crypto';
import type { ClientAuthenticator } from '../client-auth.js';
import { ConfigurationError, ResponseError } from '../errors.js';
import { failureFrom, parseJSONObject, send, type HttpSettings } from '../http.js';
import { checkAccessTokenProfile, checkClient, type OktaAccessTokenClaims } from './access-token.js';
import { AccessTokenError } from './errors.js';

/**
 * Where positive introspection answers wait until the token expires, so that Okta is asked
 * once per token rather than once per request. Keys are SHA-256 hashes of the issuer and the
 * token (never the token). Several instances can share one (e.g. Redis, with `PX ttl`).
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
  private readonly entries = new Map<string, { claims: OktaAccessTokenClaims; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryIntrospectionCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigurationError('maxEntries must be a positive whole number');
    }
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): OktaAccessTokenClaims | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.claims;
  }

  set(key: string, claims: OktaAccessTokenClaims, ttl: number): void {
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { claims, expiresAt: this.now() + ttl });
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

/**
 * Asks Okta's `/v1/introspect` (RFC 7662) about a token, with the client's credentials.
 * `active: false` is an `invalid_token`; an active answer is checked like a JWT (issuer,
 * audience when given, `exp`, access token shape, client) and cached until `exp`.
 * Concurrent requests with the same token share one call.
 */
export class Introspector {
  private readonly inFlight = new Map<string, Promise<OktaAccessTokenClaims>>();

  constructor(private readonly settings: IntrospectionSettings) {}

  async introspect(token: string): Promise<OktaAccessTokenClaims> {
    const key = createHash('sha256').update(`${this.settings.issuer} ${token}`).digest('base64url');
    const cached = await this.settings.cache.get(key);
    if (cached !== undefined && cached.exp * 1000 > this.settings.now()) return cached;
    let call = this.inFlight.get(key);
    if (call === undefined) {
      call = this.ask(token, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, call);
    }
    return call;
  }

  private async ask(token: string, key: string): Promise<OktaAccessTokenClaims> {
    const { settings } = this;
    const what = 'introspection endpoint';
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const sent = await settings.auth.apply(form, headers, settings.endpoint);
    const answer = await send(settings.http, settings.endpoint, { method: 'POST', headers, body: form.toString() }, what);
    const secrets = [token, ...sent, ...(settings.clientSecret === undefined ? [] : [settings.clientSecret])];
    if (answer.status !== 200) throw failureFrom(answer, what, secrets, settings.now());
    const body = parseJSONObject(answer, what);
    if (typeof body.active !== 'boolean') throw new ResponseError(`Okta's ${what} answered without "active"`, answer.status);
    if (!body.active) throw new AccessTokenError('invalid_token', 'The access token is not active (expired, revoked or unknown)');
    const claims = this.check(body);
    const ttl = Math.min(claims.exp * 1000 - settings.now(), settings.cacheMaxAge);
    if (ttl > 0) await settings.cache.set(key, claims, ttl);
    return claims;
  }

  private check(body: Record<string, unknown>): OktaAccessTokenClaims {
    const { settings } = this;
    const refuse = (description: string): AccessTokenError => new AccessTokenError('invalid_token', description);
    const tokenType = body.token_type;
    if (tokenType !== undefined && (typeof tokenType !== 'string' || !/^(bearer|dpop)$/i.test(tokenType))) {
      throw refuse('The token is not an access token (token_type)');
    }
    if (body.iss !== undefined && body.iss !== settings.issuer) {
      throw refuse('The access token was issued by another authorization server (iss)');
    }
    if (body.aud !== undefined) {
      const audiences = Array.isArray(body.aud) ? body.aud : [body.aud];
      if (!audiences.some((aud) => settings.audiences.includes(aud as string))) {
        throw refuse('The access token is not meant for this API (aud)');
      }
    }
    if (typeof body.exp !== 'number') throw new ResponseError("Okta's introspection endpoint answered without exp", 200);
    if (body.exp * 1000 <= settings.now() - settings.clockTolerance * 1000) throw refuse('The access token expired');
    const claims = checkAccessTokenProfile({
      ...body,
      sub: typeof body.sub === 'string' ? body.sub : typeof body.client_id === 'string' ? body.client_id : undefined,
      iat: typeof body.iat === 'number' ? body.iat : undefined,
    });
    checkClient(claims, settings.clientIds);
    delete (claims as Record<string, unknown>).active;
    return claims;
  }
}
