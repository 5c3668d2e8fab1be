import { createHash } from 'node:crypto';
import { BoundedCache } from '../core/cache.js';
import type { OktaClient } from '../client/client.js';
import { RateLimitError, RefreshUnavailableError } from '../core/errors.js';

/** After a 429 that says nothing of its reset: Okta counts its limits per minute. */
const RATE_LIMIT_WAIT = 60_000;
/** The shortest wait after a 429, should its reset be now or past (clocks differ). */
const MIN_RATE_LIMIT_WAIT = 1_000;
/** The first wait after a failed refresh of a session; it doubles per failure in a row. */
const FIRST_BACKOFF = 5_000;
/** The longest wait, for a session's failures and for a 429's reset alike. */
const MAX_WAIT = 5 * 60_000;
/** Sessions whose failures are remembered; the oldest is forgotten first. */
const MAX_SESSIONS = 10_000;

interface Backoff {
  failures: number;
  retryAt: number;
  cause: unknown;
}

/**
 * When `keepTokensFresh` may ask Okta for a refresh again: after a 429, no refresh of
 * any session until the rate limit resets; after any other failure, no refresh of that
 * session (its refresh token, kept here only as a SHA-256 hash) until a wait that doubles
 * per failure in a row and ends with a success.
 */
export class RefreshGate {
  private rateLimited: Backoff | undefined;
  private readonly sessions = new BoundedCache<string, Backoff>({ maxEntries: MAX_SESSIONS });

  /** The key of a refresh token: its hash, so that no token is kept. */
  keyOf(refreshToken: string): string {
    return createHash('sha256').update(refreshToken).digest('base64url');
  }

  /** Why a refresh for `key` must wait, and until when; undefined when it may go. */
  closed(key: string, now: number): Backoff | undefined {
    const client = this.rateLimited;
    const session = this.sessions.get(key);
    const waits = [client, session].filter((wait): wait is Backoff => wait !== undefined && wait.retryAt > now);
    if (waits.length === 0) return undefined;
    return waits.reduce((a, b) => (b.retryAt > a.retryAt ? b : a));
  }

  succeeded(key: string): void {
    this.sessions.delete(key);
  }

  /** Okta refused the refresh token for good: nothing to wait for. */
  refused(key: string): void {
    this.sessions.delete(key);
  }

  failed(key: string, err: unknown, now: number): void {
    if (err instanceof RateLimitError) {
      const reset = err.rateLimit.reset?.getTime();
      const wait = reset === undefined ? RATE_LIMIT_WAIT : Math.min(Math.max(reset - now, MIN_RATE_LIMIT_WAIT), MAX_WAIT);
      if (this.rateLimited === undefined || this.rateLimited.retryAt < now + wait) {
        this.rateLimited = { failures: 1, retryAt: now + wait, cause: err };
      }
      return;
    }
    const failures = (this.sessions.get(key)?.failures ?? 0) + 1;
    const wait = Math.min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_WAIT);
    this.sessions.set(key, { failures, retryAt: now + wait, cause: err });
  }
}

/** The error of a request whose access token has expired while its refresh waits. */
export function refreshUnavailable(wait: Backoff): RefreshUnavailableError {
  const retryAt = new Date(wait.retryAt);
  const why =
    wait.cause instanceof RateLimitError
      ? 'Okta is rate limiting refreshes for this client (429)'
      : wait.failures === 1
        ? 'the last refresh of this session failed'
        : `the last ${wait.failures} refreshes of this session failed`;
  return new RefreshUnavailableError(
    `The access token has expired and is not refreshed before ${retryAt.toISOString()}: ${why}`,
    retryAt,
    { cause: wait.cause },
  );
}

/** Seconds until `retryAt`, for a `Retry-After` header (RFC 9110 §10.2.3): at least 1. */
export function retryAfterSeconds(retryAt: number, now: number): string {
  return String(Math.max(1, Math.ceil((retryAt - now) / 1000)));
}

/**
 * One gate per client, shared by every `keepTokensFresh` of that client: a rate limit
 * is the client's, whichever middleware met it.
 */
const gates = new WeakMap<OktaClient, RefreshGate>();

export function refreshGateOf(client: OktaClient): RefreshGate {
  let gate = gates.get(client);
  if (gate === undefined) gates.set(client, (gate = new RefreshGate()));
  return gate;
}
