import { BoundedCache } from '../core/cache.js';
import { ConfigurationError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import type { ClientRequests } from './requests.js';
import type { OktaRefreshedTokens } from './tokens.js';
import { sharedCall } from '../core/single-flight.js';

/**
 * An access token for calling an API from the server: from the client credentials grant
 * (`OktaClient.getClientCredentialsToken`) or a token exchange (`OktaClient.exchangeToken`).
 */
export interface OktaAccessToken {
  accessToken: string;
  /** `Bearer`, or `DPoP` when the token is bound to the client's DPoP key: then send a proof with it. */
  tokenType: 'Bearer' | 'DPoP';
  /** When the token expires (from `expires_in`). */
  expiresAt: Date;
  /** Granted scopes (Okta's `scope` field, or the requested ones when it is absent). */
  scopes: string[];
}

/** The most a token is renewed before it expires: 60 s, or a tenth of its lifetime if that is less. */
export const RENEW_MARGIN_MS = 60_000;

/**
 * Tokens of one grant, cached per key until shortly before they expire (see
 * {@link RENEW_MARGIN_MS}) and never past the `until` a caller gives; at most `maxEntries`
 * (the oldest written dropped first). Callers asking for a key that is being fetched share
 * that one request (single flight). A failure is not cached: the next caller asks again.
 * Each caller gets its own copy, so that no caller can change what another one gets.
 */
export class GrantCache<T extends OktaAccessToken> {
  private readonly tokens: BoundedCache<string, T>;
  /** Requests in flight: each ends within the client's timeout and then leaves. */
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    maxEntries: number,
    private readonly now: () => number,
  ) {
    this.tokens = new BoundedCache({ maxEntries, now });
  }

  /** The cached token for `key`, else the one `fetch` gets, kept until `until` (epoch ms) at the latest. */
  async get(key: string, fetch: () => Promise<T>, until = Number.POSITIVE_INFINITY): Promise<T> {
    const cached = this.tokens.get(key);
    if (cached !== undefined) return copy(cached);
    return copy(await sharedCall(this.inFlight, key, () => this.fetch(fetch, key, until)));
  }

  private async fetch(fetch: () => Promise<T>, key: string, until: number): Promise<T> {
    const token = await fetch();
    const now = this.now();
    const expiresAt = token.expiresAt.getTime();
    const margin = Math.min(RENEW_MARGIN_MS, (expiresAt - now) / 10);
    const ttl = Math.min(expiresAt - margin, until) - now;
    if (ttl > 0) this.tokens.set(key, token, ttl);
    return token;
  }
}

function copy<T extends OktaAccessToken>(token: T): T {
  return { ...token, expiresAt: new Date(token.expiresAt), scopes: [...token.scopes] };
}

/** Scopes as a cache key part and a `scope` parameter: each once, in one order. */
export function normalScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/** What the grants for API tokens share: the client's token requests and DPoP key, and the clock. */
export interface ApiGrantSettings {
  requests: ClientRequests;
  endpoints: OktaEndpoints;
  /** Whether the client has a DPoP key (its `dpop` option). */
  hasDPoP: boolean;
  /** Whether the client is for the org authorization server (no `authServerId`). */
  orgServer: boolean;
  now: () => number;
}

/** Checks a call's options: an object, known names, at least one scope; throws a {@link ConfigurationError}. */
export function checkedScopes(method: string, options: unknown, names: readonly string[]): string[] {
  if (!isObject(options)) throw new ConfigurationError(`${method} needs an options object with scopes`);
  checkOptionNames(method, options, names);
  const { scopes } = options as { scopes?: unknown };
  const valid = (scope: unknown): boolean => typeof scope === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope);
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every(valid)) {
    throw new ConfigurationError(`${method} needs scopes: a non-empty array of scope names, e.g. ['orders:read']`);
  }
  return normalScopes(scopes as string[]);
}

/** Whether a call sends a DPoP proof: as asked, else when the client has a DPoP key. */
export function usesDPoP(method: string, asked: unknown, hasDPoP: boolean): boolean {
  if (asked === undefined) return hasDPoP;
  if (typeof asked !== 'boolean') throw new ConfigurationError(`${method}'s dpop option must be true or false`);
  if (asked && !hasDPoP) throw new ConfigurationError(`${method} with dpop: true needs the dpop option of the OktaClient`);
  return asked;
}

/** The API token of a token response. */
export function apiToken(tokens: OktaRefreshedTokens): OktaAccessToken {
  const { accessToken, accessTokenExpiresAt, scopes } = tokens;
  return { accessToken, tokenType: tokens.tokenType === 'DPoP' ? 'DPoP' : 'Bearer', expiresAt: accessTokenExpiresAt, scopes };
}
