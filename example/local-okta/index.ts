/**
 * A local, Okta-like OpenID Provider for the example app and the tests, built on
 * `oidc-provider`. One HTTP server on one port serves both of Okta's layouts:
 *
 * - custom authorization servers: issuer `${origin}/oauth2/{id}` (default id `default`),
 *   endpoints `${issuer}/v1/{authorize,token,keys,userinfo,revoke,logout,par,introspect}`,
 *   discovery `${issuer}/.well-known/openid-configuration`;
 * - the org authorization server: issuer `${origin}`, endpoints
 *   `${origin}/oauth2/v1/{authorize,token,keys,userinfo,revoke,logout,par,introspect}`,
 *   discovery `${origin}/.well-known/openid-configuration`.
 *
 * Each issuer is its own `Provider` with its own RS256 signing key, clients and sessions.
 *
 * Access tokens: a custom server issues, as Okta does, a JWT access token for its API
 * (audience `api://{id}`, scopes `orders:read` and `orders:write`) to a request that asks
 * for one of those scopes, by the authorization code, client credentials or token exchange
 * grant. It carries Okta's claims (`ver`, `jti`, `cid`, `scp`; for users `uid`, `auth_time`
 * and `acr` when asked) and `cnf.jkt` when DPoP-bound. Other access tokens (the org
 * server's, or without API scopes) are opaque, for userinfo; `/v1/introspect` answers for
 * both. ID tokens carry `amr`, `auth_time` and `sid`, and `acr` when `acr_values` asked.
 *
 * Signing in from an HTTP client (no HTML parsing needed), with a cookie jar that keeps
 * cookies per path (the provider scopes some cookies to a path) and `redirect: 'manual'`:
 *
 * 1. GET the authorize URL. Answer: 303, `Location: ${origin}/login/{uid}`
 *    (`uid` is `[A-Za-z0-9_-]+`), plus cookies for that path and for the resume URL.
 * 2. GET `${origin}/login/{uid}`. Answer: 200, the sign-in form:
 *    `<form method="post" action="/login/{uid}">` with `<input name="username">`,
 *    `<input name="password" type="password">`, `<button type="submit">Sign in</button>`
 *    and `<button type="submit" name="deny" value="1">Cancel</button>`.
 * 3. POST `${origin}/login/{uid}` as `application/x-www-form-urlencoded` with
 *    `username={DemoUser.username}&password={DemoUser.password}`. Answer: 303 to the
 *    resume URL `${issuer or origin/oauth2}/v1/authorize/{uid}`. A wrong password answers
 *    401 with the form again (and the text "Unable to sign in"). `deny=1` instead of the
 *    credentials cancels: the resume URL then sends `error=access_denied` to the client.
 * 4. GET the resume URL. Answer: 303 to `redirect_uri?code=...&state=...`, or 200 with an
 *    auto-posting HTML form for `response_mode=form_post`.
 *
 * With a provider session (a second sign-in in the same jar), step 1 redirects straight to
 * the client, as Okta does; `prompt=login` shows the form again. Consent is never asked:
 * like a first-party Okta app, every requested scope is granted.
 *
 * Step-up: when `acr_values` asks for two factors (`urn:okta:loa:2fa:any`, ...) and the
 * session has one, the resume URL of step 3 (or step 1 with a session) redirects to a second
 * page at `/login/{uid}`: a form with `<input name="otp">`; POST the user's
 * `DemoUser.oneTimeCode` as `otp=...` and go on as in step 4. A user without a code gets
 * `error=unmet_authentication_requirements` at the redirect URI instead.
 *
 * Users are signed out of the apps as Okta does it: back-channel and front-channel logout
 * on `/v1/logout`, Universal Logout on `LocalOkta.universalLogout` (or `POST
 * /admin/universal-logout`). Two `startLocalOkta` calls are two independent orgs.
 * docs/local-provider.md shows each on the wire.
 *
 * Nothing is printed unless `quiet: false` is passed (quiet is the default).
 *
 * The modules, and where a new behaviour goes:
 * - start.ts, settings.ts, types.ts: `startLocalOkta`, its options and their defaults
 *   (a second org: a second `startLocalOkta`);
 * - router.ts: the HTTP server's routes; a page outside the issuers is one more entry in
 *   its `ROUTES` (admin.ts: `POST /admin/universal-logout`);
 * - issuers.ts, configuration.ts: one oidc-provider per issuer, and its configuration;
 * - authorize.ts: the authorize endpoint's parameter rules and prompt policy (`prompt=none`;
 *   step-up.ts: the `mfa` prompt for `acr_values`, and the `acr` it sets);
 * - login.ts: the pages of each prompt (`PROMPT_PAGES`; prompts.ts their shape, mfa.ts the
 *   second factor), html.ts their HTML;
 * - users.ts, claims.ts: the users (their groups, their one-time codes) and the claims each
 *   scope releases;
 * - grants.ts: the token endpoint's grants (`GRANTS`; token-exchange.ts: RFC 8693),
 *   ttl.ts lifetimes; access-tokens.ts: Okta's access tokens; dpop.ts: DPoP;
 * - issued-tokens.ts: userinfo, introspection, revocation;
 * - logout.ts: `/v1/logout`; single-logout.ts: back-channel and front-channel logout of the
 *   apps; universal-logout.ts: Universal Logout; jwt.ts: the JWTs they sign;
 * - clients.ts, keys.ts, storage.ts, oidc.ts, http.ts, listen.ts, responses.ts: client
 *   metadata, signing keys, the in-memory store, loading oidc-provider, HTTP helpers,
 *   listening, and Okta's differences in oidc-provider's answers.
 */
export { API_SCOPES } from './access-tokens.js';
export { startLocalOkta } from './start.js';
export { DEMO_USERS } from './users.js';
export type {
  DemoUser,
  LocalOkta,
  LocalOktaClient,
  LocalOktaOptions,
  UniversalLogoutFormat,
  UniversalLogoutRequest,
  UniversalLogoutResult,
} from './types.js';
