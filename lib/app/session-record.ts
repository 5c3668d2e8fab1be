import type { OktaRequest } from '../passport/request.js';
import { isObject } from '../core/options.js';

/**
 * What `oktaSession` keeps in the session about the sign-in that made it: who (issuer,
 * subject, Okta session id), how and when (`acr`, `amr`, `auth_time`), the verified claims
 * (for group and claim checks), and when the session was signed in and last used. Stored
 * under {@link RECORD_KEY} as plain JSON, written whole each time, version 1.
 */
export interface SignInRecord {
  v: 1;
  iss: string;
  sub: string;
  /** Okta's session id (`sid`), when the ID token has one. */
  sid?: string | undefined;
  /** Seconds since the epoch: the user's last authentication at Okta (`auth_time`). */
  authTime?: number | undefined;
  acr?: string | undefined;
  amr?: string[] | undefined;
  /** The verified claims: the ID token's, plus those only userinfo had. */
  claims: Record<string, unknown>;
  /** Epoch milliseconds of the sign-in here, and of the last request of the session. */
  signedInAt: number;
  lastSeenAt: number;
  /**
   * The last step-up: the class asked, when it was started and when its callback signed the
   * user in again (epoch ms). A page that still falls short right after is refused, not sent again.
   */
  stepUp?: { acr: string; startedAt: number; completedAt?: number | undefined } | undefined;
}

/** The session property the record lives under. */
export const RECORD_KEY = 'oktaSignIn';

type Session = Record<string, unknown> & { get?: (key: string) => unknown; set?: (key: string, value: unknown) => void };

function sessionOf(req: OktaRequest): Session | undefined {
  const session = req.session as Session | undefined;
  return isObject(session) ? session : undefined;
}

/** The record of this request's session, when it has a well-formed one. */
export function readRecord(req: OktaRequest): SignInRecord | undefined {
  const session = sessionOf(req);
  if (session === undefined) return undefined;
  const value = typeof session.get === 'function' ? session.get(RECORD_KEY) : session[RECORD_KEY];
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Partial<SignInRecord>;
  const wellFormed =
    record.v === 1 &&
    typeof record.iss === 'string' &&
    typeof record.sub === 'string' &&
    typeof record.signedInAt === 'number' &&
    typeof record.lastSeenAt === 'number' &&
    isObject(record.claims);
  return wellFormed ? (record as SignInRecord) : undefined;
}

/** Writes (or, with undefined, removes) the record; a new object is assigned, so every session store notices. */
export function writeRecord(req: OktaRequest, record: SignInRecord | undefined): void {
  const session = sessionOf(req);
  if (session === undefined) return;
  if (typeof session.set === 'function') session.set(RECORD_KEY, record);
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the record's property on the app's session object goes, not just its value
  else if (record === undefined) delete session[RECORD_KEY];
  else session[RECORD_KEY] = { ...record };
}

/** Claims of the ID token's own checks, of no use once it is verified: not kept. */
const PROTOCOL_CLAIMS = new Set(['nonce', 'at_hash', 'c_hash', 's_hash', 'iat', 'exp', 'nbf', 'jti']);

/** The record of a sign-in from its verified claims. */
export function recordOf(verified: Record<string, unknown>, now: number): SignInRecord {
  const claims = Object.fromEntries(Object.entries(verified).filter(([name]) => !PROTOCOL_CLAIMS.has(name)));
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return {
    v: 1,
    iss: str(claims.iss) ?? '',
    sub: str(claims.sub) ?? '',
    sid: str(claims.sid),
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
    acr: str(claims.acr),
    amr: Array.isArray(claims.amr) ? claims.amr.filter((method): method is string => typeof method === 'string') : undefined,
    claims,
    signedInAt: now,
    lastSeenAt: now,
  };
}
