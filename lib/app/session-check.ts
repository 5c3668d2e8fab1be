import type { OktaClient } from '../client/client.js';
import type { OktaRequest } from '../passport/request.js';
import { runAsync } from '../passport/response.js';
import { isSignedIn } from './guards.js';
import { decideLifetime, type LifetimeDecision, type LifetimeSettings, type SessionEndReason } from './lifetime.js';
import type { OktaSessionCheck } from './okta-session-types.js';
import type { Revocations } from './revocation.js';
import { restartSession, type SessionRequest } from './session.js';
import { readRecord } from './session-record.js';

/** What `checkSession()` needs from oktaSession's settings. */
export interface SessionCheckSettings {
  lifetime: LifetimeSettings;
  revocations: Revocations;
  client: Pick<OktaClient, 'revokeToken'>;
  getTokens: ((req: SessionRequest) => { refreshToken?: string | null | undefined } | null | undefined) | undefined;
  onSessionEnded: ((req: SessionRequest, reason: SessionEndReason, revokeError?: unknown) => void | Promise<void>) | undefined;
}

/**
 * The session rules on one request: the lifetime (idle, absolute, no record), then whether a
 * logout Okta started (Universal Logout, back- or front-channel) or `okta.revoke()` revoked
 * it. One read of the revocation store at most (none within the store cache's time); a store
 * that fails or is slow rejects with a `StoreUnavailableError` (503): a session the store
 * cannot vouch for does not go on.
 */
export async function decideSession(
  req: OktaRequest,
  settings: SessionCheckSettings,
  decision: LifetimeDecision = decideLifetime(req, settings.lifetime),
): Promise<LifetimeDecision> {
  if (decision.kind === 'end' || !isSignedIn(req)) return decision;
  const record = readRecord(req);
  if (record === undefined) return decision;
  return (await settings.revocations.isRevoked(record)) ? { kind: 'end', reason: 'revoked' } : decision;
}

/**
 * Ends the local session: signs the user out, leaves a new empty session (express-session)
 * so the request can go on and start a sign-in, revokes the refresh token the app keeps, and
 * tells the app.
 */
export async function endSession(req: SessionRequest, reason: SessionEndReason, settings: SessionCheckSettings): Promise<void> {
  const refreshToken = settings.getTokens?.(req)?.refreshToken ?? undefined;
  await restartSession(req);
  let revokeError: unknown;
  if (refreshToken) {
    try {
      await settings.client.revokeToken(refreshToken, 'refresh_token');
    } catch (err) {
      revokeError = err;
    }
  }
  await settings.onSessionEnded?.(req, reason, revokeError);
}

/** `checkSession()`: Express middleware over {@link decideSession} and {@link endSession}. */
export function sessionCheck(settings: SessionCheckSettings): OktaSessionCheck {
  const middleware = ((req, res, next) => {
    let lifetime: LifetimeDecision;
    try {
      // The lifetime alone is synchronous: a request of an anonymous user never waits.
      lifetime = decideLifetime(req, settings.lifetime);
    } catch (err) {
      next(err);
      return;
    }
    if (lifetime.kind === 'pass' && (!isSignedIn(req) || readRecord(req) === undefined)) {
      next();
      return;
    }
    runAsync(res, next, async () => {
      const decision = await decideSession(req, settings, lifetime);
      if (decision.kind === 'end') await endSession(req, decision.reason, settings);
      return 'next';
    });
  }) as OktaSessionCheck;
  middleware.check = (req) => decideSession(req, settings);
  return middleware;
}
