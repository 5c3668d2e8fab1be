import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ResponseError } from './errors.js';
import { failureFrom, parseJSONObject } from './answers.js';
import { send, type HttpSettings } from './http.js';

/**
 * Why no key verifies a token's header: no key has its `kid` (`unknown-kid`), several have it
 * (`ambiguous-kid`), it has no `kid` and several keys could match (`no-kid`; Okta always
 * sends one), or the key is an RSA key under 2048 (`MIN_RSA_BITS`) bits (`too-small`). Neutral:
 * the JWT pipeline (`core/jwt.ts`) turns it into its caller's refusal.
 */
export class KeyError extends Error {
  constructor(readonly reason: 'unknown-kid' | 'ambiguous-kid' | 'no-kid' | 'too-small') {
    super(`no key for this token: ${reason}`);
  }
}

/** A key jose picked and imported from a key set. */
export type VerificationKey = Awaited<ReturnType<JWTVerifyGetKey>>;

/** A key set as fetched: jose's lookup, each key as published (its JSON) by `kid`, and how many keys. */
export interface DownloadedKeySet {
  keySet: JWTVerifyGetKey;
  /** By `kid`; `''` names the only key of a set without kids. */
  published: Map<string, string>;
  count: number;
}

/** GETs Okta's key set (`/v1/keys`) and reads it; Okta's failures become the errors of core/answers.ts. */
export async function downloadKeySet(http: HttpSettings, url: string, now: number): Promise<DownloadedKeySet> {
  const what = 'keys endpoint';
  const answer = await send(http, url, { method: 'GET', headers: { accept: 'application/json' } }, what);
  if (answer.status !== 200) throw failureFrom(answer, what, [], now);
  const body = parseJSONObject(answer, what);
  let keySet: JWTVerifyGetKey;
  try {
    keySet = createLocalJWKSet(body as unknown as JSONWebKeySet);
  } catch {
    throw new ResponseError(`Okta's ${what} answered with a malformed key set`, answer.status);
  }
  const keys = (body.keys as unknown[]).filter((k): k is Record<string, unknown> => k !== null && typeof k === 'object');
  const published = new Map<string, string>();
  for (const key of keys) if (typeof key.kid === 'string') published.set(key.kid, JSON.stringify(key));
  const [first] = keys;
  if (keys.length === 1 && typeof first?.kid !== 'string') published.set('', JSON.stringify(first));
  return { keySet, published, count: keys.length };
}

/** The modulus length of an RSA key, or undefined for other keys. */
export function rsaModulusBits(key: VerificationKey): number | undefined {
  const algorithm = (key as { algorithm?: { modulusLength?: unknown } }).algorithm;
  if (typeof algorithm?.modulusLength === 'number') return algorithm.modulusLength;
  const details = (key as Partial<KeyObject>).asymmetricKeyDetails;
  return typeof details?.modulusLength === 'number' ? details.modulusLength : undefined;
}

/** The longest wait after failed fetches in a row, unless `cooldown` is longer. */
export const MAX_FAILURE_BACKOFF = 5 * 60_000;
/**
 * How old the key set must be before an unknown `kid` may refetch it (unless the cooldown is
 * shorter): a set fetched a moment ago already has every key Okta publishes.
 */
export const MIN_KEY_SET_AGE = 5_000;
/** The longest head start of a background refresh: it begins in the last tenth of `maxAge`, at most this long before. */
export const REFRESH_AHEAD = 5 * 60_000;
