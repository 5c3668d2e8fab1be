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
 * for one of those scopes, by the authorization code or the client credentials grant. It
 * carries Okta's claims (`ver`, `jti`, `cid`, `uid` for users, `scp`) and `cnf.jkt` when
 * DPoP-bound. Other access tokens (the org server's, or without API scopes) are opaque,
 * for userinfo; `/v1/introspect` answers for both.
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
 * Nothing is printed unless `quiet: false` is passed (quiet is the default).
 *
 * The modules, and where a new behaviour goes:
 * - start.ts, settings.ts, types.ts: `startLocalOkta`, its options and their defaults
 *   (a second tenant: its own settings and issuers, started there);
 * - router.ts: the HTTP server's routes; a page outside the issuers (such as a Universal
 *   Logout trigger) is one more entry in its `ROUTES`;
 * - issuers.ts, configuration.ts: one oidc-provider per issuer, and its configuration;
 * - authorize.ts: the authorize endpoint's parameter rules and prompt policy (`prompt=none`,
 *   a second factor for `acr_values`: a prompt added to `interactionPolicy`);
 * - login.ts, html.ts: the pages of each prompt (`PROMPT_PAGES`) and their HTML;
 * - users.ts, claims.ts: the users (their groups) and the claims each scope releases;
 * - grants.ts: the token endpoint's grants (`GRANTS`: token exchange, client credentials
 *   rules) and token lifetimes; access-tokens.ts: Okta's access tokens; dpop.ts: DPoP;
 * - issued-tokens.ts: userinfo, introspection, revocation;
 * - logout.ts: `/v1/logout` (back-channel and front-channel logout go there too);
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
