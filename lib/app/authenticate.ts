import type { OktaAuthenticateOptions } from '../sign-in/options.js';

/** Passport's own options of `passport.authenticate()` (passport 0.5–0.7), typed here without `@types/passport`. */
export interface PassportAuthenticateOptions {
  /** Keep the user in the session (default `true`); `false` for APIs. */
  session?: boolean | undefined;
  successRedirect?: string | undefined;
  /** Never the route that starts a sign-in: a failure that repeats would loop through Okta. */
  failureRedirect?: string | undefined;
  successReturnToOrRedirect?: string | undefined;
  /** `true` to push the failure message to `req.session.messages`, or a message of your own. */
  failureMessage?: boolean | string | undefined;
  successMessage?: boolean | string | undefined;
  failureFlash?: boolean | string | undefined;
  successFlash?: boolean | string | undefined;
  /** passport >= 0.6 regenerates the session at sign-in; `true` keeps other tabs' pending sign-ins. */
  keepSessionInfo?: boolean | undefined;
  failWithError?: boolean | undefined;
  assignProperty?: string | undefined;
  authInfo?: boolean | undefined;
  userProperty?: string | undefined;
}

/** Everything `passport.authenticate('okta', options)` takes: Passport's options and the strategy's. */
export type OktaPassportOptions = PassportAuthenticateOptions & OktaAuthenticateOptions;

/** The part of a Passport instance (`passport`, `new Passport()`, koa-passport...) that {@link oktaAuthenticate} calls. */
export interface PassportLike<Handler> {
  authenticate(strategy: string, options: object): Handler;
}

/**
 * `passport.authenticate(name, options)` with options typed for this strategy, so that an
 * object `state`, `loginHint` or `acrValues` compile under strict TypeScript without a
 * cast (`@types/passport` types `state` as a string). Returns what Passport returns.
 *
 * @example
 * ```ts
 * app.get('/login', (req, res, next) =>
 *   oktaAuthenticate(passport, { state: { returnTo: req.query.returnTo }, loginHint: 'alice@example.com' })(req, res, next),
 * )
 * app.get('/auth/okta/callback', oktaAuthenticate(passport, { failureRedirect: '/login-failed', keepSessionInfo: true }))
 * ```
 */
export function oktaAuthenticate<Handler>(
  passport: PassportLike<Handler>,
  options: OktaPassportOptions = {},
  name = 'okta',
): Handler {
  return passport.authenticate(name, options);
}
