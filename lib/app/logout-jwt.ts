import type { JWTPayload } from 'jose';
import { JwtRefusal, verifyJwt, type JwtFailure } from '../core/jwt.js';
import type { KeyStore } from '../core/keys.js';
import { shortString, type JwtSettings } from './logout-receiver.js';

/** What a logout JWT (Okta's Universal Logout JWT, a back-channel logout token) must be. */
export interface LogoutJwtPolicy {
  keys: () => KeyStore;
  issuer: string;
  /** The audience, or the audiences of which `aud` must name one. */
  audience: string | string[];
  algorithms: readonly string[];
  /** The one `typ` accepted (lower case, `application/` dropped). */
  type: string;
  /** Whether a token without `typ` is refused. */
  requireType: boolean;
  /** Claims that must be present besides `iat` and `jti`. */
  requiredClaims: string[];
  settings: JwtSettings;
  now: () => number;
}

/** The claims of a verified logout JWT: `iat` and `jti` always there. */
export type LogoutClaims = JWTPayload & { iat: number; jti: string };

/** A verified logout JWT, with when its `jti` may be forgotten (epoch ms), or why it was refused. */
export type LogoutJwt = { ok: true; payload: LogoutClaims; rememberUntil: number } | { ok: false; reason: string };

/**
 * Verifies a logout JWT with the package's one JWT pipeline (`core/jwt.ts`): signature by a
 * key of the key set with an allowed algorithm (never `none`), `typ`, `iss`, `aud`, `exp` and
 * `nbf` with the tolerance, an `iat` neither in the future nor older than `maxTokenAge`, and a
 * `jti`. A refusal says why in words that hold nothing of the token. An unavailable key set
 * throws (an outage, not a refusal).
 */
export async function verifyLogoutJwt(token: string, policy: LogoutJwtPolicy): Promise<LogoutJwt> {
  const { clockTolerance, maxTokenAge } = policy.settings;
  let payload: JWTPayload;
  let typ: unknown;
  try {
    ({
      payload,
      header: { typ },
    } = await verifyJwt(token, policy.keys(), {
      issuer: policy.issuer,
      audience: policy.audience,
      algorithms: policy.algorithms,
      clockTolerance,
      now: policy.now,
      requiredClaims: ['iat', 'jti', ...policy.requiredClaims],
      types: new Set([policy.type]),
    }));
  } catch (err) {
    if (err instanceof JwtRefusal) return { ok: false, reason: reasonOf(err.failure, policy.type) };
    throw err;
  }
  if (typ === undefined && policy.requireType) return { ok: false, reason: `the token has no typ (${policy.type} expected)` };
  const nowSeconds = policy.now() / 1000;
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return { ok: false, reason: 'the token has no valid iat' };
  if (iat < nowSeconds - maxTokenAge - clockTolerance) {
    return { ok: false, reason: `the token was issued more than ${maxTokenAge} s ago (iat)` };
  }
  const jti = shortString(payload.jti, 512);
  if (jti === undefined) return { ok: false, reason: 'the token has no valid jti' };
  // Accepted until the earlier of `exp` and `iat` + maxTokenAge (with the tolerance): its jti is remembered that long.
  const until = Math.min(typeof exp === 'number' ? exp : Infinity, iat + maxTokenAge) + clockTolerance;
  return { ok: true, payload: { ...payload, iat, jti }, rememberUntil: Math.ceil(until * 1000) };
}

function reasonOf(failure: JwtFailure, type: string): string {
  switch (failure.kind) {
    case 'malformed':
      return 'the token is not a well-formed signed JWT';
    case 'crit':
      return 'the token names critical header parameters';
    case 'alg':
      return 'the token is not signed with an accepted algorithm';
    case 'typ':
      return `the token's typ is not ${type}`;
    case 'key':
      return "no key of the issuer's key set can verify the token";
    case 'signature':
      return "the token's signature does not verify";
    case 'expired':
      return 'the token has expired (exp)';
    case 'not-yet-valid':
      return 'the token is not valid yet (nbf)';
    case 'issued-in-future':
      return 'the token is issued in the future (iat)';
    case 'issuer':
      return 'the token is from another issuer (iss)';
    case 'claim':
      return `the token's ${failure.claim} claim ${failure.reason === 'missing' ? 'is missing' : 'is not the one expected'}`;
  }
}
