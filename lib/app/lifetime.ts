import { isSignedIn } from './guards.js';
import type { OktaRequest } from '../passport/request.js';
import { readRecord, writeRecord } from './session-record.js';

/** Why `checkSession()` ends a session. */
export type SessionEndReason =
  /** Older than `absoluteLifetime` since the user's last authentication at Okta (`auth_time`). */
  | 'absolute'
  /** Unused for `idleTimeout`. */
  | 'idle'
  /** Signed in without a sign-in record, so with no lifetime to check: ended (fails closed). */
  | 'no_record';

export interface LifetimeSettings {
  /** Seconds from `auth_time` (or the sign-in here, without one). */
  absoluteLifetime: number | undefined;
  /** Seconds without a request. */
  idleTimeout: number | undefined;
  now(): number;
  warnNoRecord(): void;
}

export type LifetimeDecision = { kind: 'pass' } | { kind: 'end'; reason: SessionEndReason };

/** The record's last use is written at most this often (and at most every quarter of the idle timeout). */
const TOUCH_EVERY_MS = 60_000;

/**
 * The session rules, checked on each request: a session past its absolute lifetime or idle
 * for too long is to end. A record without a signed-in user (left by a sign-out that kept
 * the session) is dropped, so that it can never speak for the next user of the session.
 * A request that goes on refreshes the record's last use, at most once a minute.
 */
export function decideLifetime(req: OktaRequest, settings: LifetimeSettings): LifetimeDecision {
  const record = readRecord(req);
  if (!isSignedIn(req)) {
    if (record !== undefined) writeRecord(req, undefined);
    return { kind: 'pass' };
  }
  const { absoluteLifetime, idleTimeout } = settings;
  if (absoluteLifetime === undefined && idleTimeout === undefined) return { kind: 'pass' };
  if (record === undefined) {
    settings.warnNoRecord();
    return { kind: 'end', reason: 'no_record' };
  }
  const now = settings.now();
  if (absoluteLifetime !== undefined) {
    const start = record.authTime !== undefined ? record.authTime * 1000 : record.signedInAt;
    if (now - start >= absoluteLifetime * 1000) return { kind: 'end', reason: 'absolute' };
  }
  if (idleTimeout !== undefined) {
    const idle = now - record.lastSeenAt;
    if (idle >= idleTimeout * 1000) return { kind: 'end', reason: 'idle' };
    if (idle >= Math.min(TOUCH_EVERY_MS, (idleTimeout * 1000) / 4)) writeRecord(req, { ...record, lastSeenAt: now });
  }
  return { kind: 'pass' };
}
