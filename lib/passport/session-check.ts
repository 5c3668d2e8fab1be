import { sessionKey, userProperty } from './fields.js';
import type { OktaRequest } from './request.js';

/** Whether the warning was given; one object shared by a strategy and what Passport derives from it. */
export interface SessionWarning {
  given: boolean;
}

export const SESSION_WARNING =
  'passport-okta-oidc: this session holds a user signed in earlier, but req.user is not set, so the app treats ' +
  'the user as signed out. Add app.use(passport.session()) after the session middleware (e.g. express-session) ' +
  'and before the routes, with passport.serializeUser and passport.deserializeUser defined. Without it every ' +
  'sign-in succeeds and is then forgotten.';

/**
 * A sign-in "succeeds" and the user is still not signed in when `passport.session()` does
 * not run: Passport wrote the user into the session, but nothing restores it into `req.user`.
 * Seen at the next start or callback: the session holds Passport's user and `req.user` is
 * unset (when `passport.session()` runs and `deserializeUser` finds no user, Passport removes
 * the session's user first, so that case does not warn). Warns once, on `console.warn`.
 */
export function warnIfSessionNotRestored(req: OktaRequest, warning: SessionWarning): void {
  if (warning.given) return;
  const key = sessionKey(req);
  const property = userProperty(req);
  // Typed as an object, but whatever session middleware runs may have put anything there.
  const session: unknown = req.session;
  if (typeof key !== 'string' || session === null || typeof session !== 'object') return;
  const stored = (session as Record<string, unknown>)[key];
  if (stored === null || typeof stored !== 'object' || (stored as { user?: unknown }).user === undefined) return;
  if ((req as unknown as Record<string, unknown>)[property] != null) return;
  warning.given = true;
  console.warn(SESSION_WARNING);
}
