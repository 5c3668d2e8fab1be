import type { OktaClient } from '../client/client.js';
import type { OktaRequest } from '../passport/request.js';
import { isThenable } from '../passport/verify.js';

/** Something that has an Okta client: an `OktaClient`, or an `OktaStrategy` (its `client`). */
export type HasOktaClient = OktaClient | { client: OktaClient };

export function clientOf(source: HasOktaClient): OktaClient {
  return 'client' in source ? source.client : source;
}

/**
 * A request that may carry Passport's `logout` and a session that can be ended. `logout`
 * takes a callback (Passport 0.6+), returns a promise (@fastify/passport), or returns
 * nothing and is done (Passport 0.5).
 */
export interface SessionRequest extends OktaRequest {
  logout?: ((done: (err?: unknown) => void) => unknown) | (() => unknown) | undefined;
  user?: unknown;
}

/** A session that can end itself: express-session and @fastify/session (`destroy`), @fastify/secure-session (`delete`). */
interface EndableSession {
  destroy?: (done?: (err?: unknown) => void) => unknown;
  delete?: () => unknown;
  /** express-session: a new, empty session in place of this one, for the rest of the request. */
  regenerate?: (done: (err?: unknown) => void) => unknown;
}

/**
 * Signs the user out of Passport and ends the session, whichever of the two exist, in
 * any of the forms the frameworks give them (callback, promise, or synchronous).
 */
export async function endLocalSession(req: SessionRequest): Promise<void> {
  if (typeof req.logout === 'function') {
    await settle(req, req.logout);
  }
  const session = req.session as EndableSession | undefined;
  if (session && typeof session.destroy === 'function') {
    await settle(session, session.destroy);
  } else if (session && typeof session.delete === 'function') {
    await session.delete();
  }
  req.user = undefined;
}

/**
 * Signs the user out and leaves the request a new, empty session where the session can be
 * regenerated (express-session), so that the request can go on and start a sign-in;
 * elsewhere ends the session as {@link endLocalSession} does.
 */
export async function restartSession(req: SessionRequest): Promise<void> {
  const session = req.session as EndableSession | undefined;
  if (!session || typeof session.regenerate !== 'function') return endLocalSession(req);
  if (typeof req.logout === 'function') {
    await settle(req, req.logout);
  }
  // Passport 0.6+ may have replaced the session while signing out: regenerate the current one.
  const current = (req.session as EndableSession | undefined) ?? session;
  await settle(current, current.regenerate as (done: (err?: unknown) => void) => unknown);
  req.user = undefined;
}

/**
 * Calls `fn` with a callback and waits for whichever way it says it is done: the
 * callback, a returned promise, or (a function that declares no parameter and returns
 * no promise) its return.
 */
function settle(self: object, fn: (done: (err?: unknown) => void) => unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown): void => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- Passport's or the session's own error, passed on as given
      if (err) reject(err);
      else resolve();
    };
    let result: unknown;
    try {
      result = fn.call(self, done);
    } catch (err) {
      reject(err);
      return;
    }
    if (isThenable(result)) {
      result.then(() => {
        resolve();
      }, reject);
    } else if (fn.length === 0) {
      resolve();
    }
  });
}
