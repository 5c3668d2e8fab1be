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
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type * as OidcProviderModule from 'oidc-provider';
import type {
  Adapter,
  AdapterFactory,
  AdapterPayload,
  ClientMetadata,
  Configuration,
  ErrorOut,
  JWK,
  KoaContextWithOIDC,
  Provider,
} from 'oidc-provider';

// ---------------------------------------------------------------------------
// Public API

/** A client (an Okta "app integration") registered at every issuer of the local Okta. */
export interface LocalOktaClient {
  clientId: string;
  clientSecret?: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Default `client_secret_basic`, as in Okta. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
  /** Public keys, for `private_key_jwt`. */
  jwks?: { keys: object[] };
  /** Require DPoP-bound access tokens (Okta's "Require DPoP header in token requests"). */
  dpopBoundAccessTokens?: boolean;
  /** Allow the client credentials grant (a service app), for the API scopes of a custom server. */
  clientCredentials?: boolean;
}

/** A user who can sign in on the local Okta's form. */
export interface DemoUser {
  sub: string;
  username: string;
  password: string;
  givenName: string;
  familyName: string;
  email: string;
  groups: string[];
}

/** The demo users; their passwords are shown by the example app when it starts. */
export const DEMO_USERS: DemoUser[] = [
  {
    sub: '00ualice000000000001',
    username: 'alice@example.com',
    password: 'alice-password',
    givenName: 'Alice',
    familyName: 'Anderson',
    email: 'alice@example.com',
    groups: ['Everyone', 'Admins'],
  },
  {
    sub: '00ubob00000000000002',
    username: 'bob@example.com',
    password: 'bob-password',
    givenName: 'Bob',
    familyName: 'Brown',
    email: 'bob@example.com',
    groups: ['Everyone'],
  },
];

export interface LocalOktaOptions {
  /**
   * Host name used in every URL; default `'127.0.0.1'`. `'localhost'` is served on
   * 127.0.0.1 too (useful to make the provider a different site from an app on 127.0.0.1).
   */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  clients: LocalOktaClient[];
  /** Custom authorization servers to serve; default `['default']`. */
  authServerIds?: string[];
  /** Default true: print nothing. With false: a start banner, sign-ins and server errors. */
  quiet?: boolean;
  /** Users who can sign in; default `DEMO_USERS`. */
  users?: DemoUser[];
  /**
   * Add the RFC 9207 `iss` parameter to authorization responses (and advertise it in
   * discovery). Okta does not send it, so the default is false.
   */
  authorizationResponseIss?: boolean;
  /**
   * Require a server-provided nonce in DPoP proofs at the token endpoint (answer
   * `use_dpop_nonce` with a `DPoP-Nonce` header first), as Okta does. Default true.
   */
  dpopNonce?: boolean;
}

export interface LocalOkta {
  /** e.g. `http://127.0.0.1:54321`: the `oktaDomain`. */
  origin: string;
  /** Custom server: `${origin}/oauth2/${id}`; org server (no id): `origin`. */
  issuer(authServerId?: string): string;
  users: DemoUser[];
  /** Closes the server and all its sockets. */
  close(): Promise<void>;
}

/**
 * Starts the local Okta on `host:port`, with a fresh signing key per issuer.
 *
 * @example
 * const okta = await startLocalOkta({
 *   clients: [{ clientId: 'app', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:3000/cb'] }],
 * })
 * okta.issuer('default') // 'http://127.0.0.1:54321/oauth2/default'
 * await okta.close()
 */
export async function startLocalOkta(options: LocalOktaOptions): Promise<LocalOkta> {
  const settings = resolveSettings(options);
  const servers: AuthServer[] = [];
  const httpServer = createServer((req, res) => {
    handleRequest(req, res, servers, settings).catch((err: unknown) => failRequest(res, settings, err));
  });
  const port = await listen(httpServer, listenAddress(settings.host), settings.port);
  const origin = `http://${urlHost(settings.host)}:${port}`;

  try {
    // The issuers need the port, so the providers are made once the server listens.
    for (const id of [undefined, ...settings.authServerIds]) {
      servers.push(await createAuthServer(origin, id, settings));
    }
  } catch (err) {
    await closeServer(httpServer);
    throw err;
  }

  const okta: LocalOkta = {
    origin,
    issuer: (authServerId) => (authServerId === undefined ? origin : `${origin}/oauth2/${authServerId}`),
    users: settings.users,
    close: () => closeServer(httpServer),
  };
  printBanner(okta, settings);
  return okta;
}

// ---------------------------------------------------------------------------
// Settings and constants

interface Settings {
  host: string;
  port: number;
  clients: LocalOktaClient[];
  authServerIds: string[];
  quiet: boolean;
  users: DemoUser[];
  authorizationResponseIss: boolean;
  dpopNonce: boolean;
}

/** One issuer: the org server (`id` undefined) or a custom authorization server. */
interface AuthServer {
  id: string | undefined;
  issuer: string;
  /** Path prefix stripped before the provider sees a request ('' for the org server). */
  mountPath: string;
  provider: Provider;
  /** The provider's Node request handler. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** Okta's `idp` claim: the id of the identity provider, here a fixed org-like id. */
const OKTA_IDP_ID = '00olocalokta00000001';
/** A fixed `updated_at`, so that userinfo answers do not change between runs. */
const PROFILE_UPDATED_AT = 1_735_689_600; // 2025-01-01T00:00:00Z

/**
 * Which claims each scope releases. `openid` also releases the claims that Okta puts in
 * every ID token (auth_time, amr, ver, idp); findAccount gives ver and idp to ID tokens only.
 */
const OKTA_CLAIMS = {
  openid: ['sub', 'auth_time', 'amr', 'ver', 'idp'],
  profile: [
    'name',
    'given_name',
    'family_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

/** The scopes of each custom server's API (audience `api://{id}`). */
export const API_SCOPES = ['orders:read', 'orders:write'];

const TTL = {
  AccessToken: 60 * 60,
  ClientCredentials: 60 * 60,
  AuthorizationCode: 5 * 60,
  IdToken: 60 * 60,
  RefreshToken: 7 * 24 * 60 * 60,
  Grant: 14 * 24 * 60 * 60,
  Interaction: 60 * 60,
  Session: 2 * 60 * 60,
};

function resolveSettings(options: LocalOktaOptions): Settings {
  for (const id of options.authServerIds ?? []) {
    // `v1` would collide with the org server's `/oauth2/v1/...` endpoints.
    if (!/^[A-Za-z0-9_-]+$/.test(id) || id === 'v1') {
      throw new TypeError(`local Okta: invalid authServerIds entry '${id}'`);
    }
  }
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    clients: options.clients,
    authServerIds: options.authServerIds ?? ['default'],
    quiet: options.quiet ?? true,
    users: options.users ?? DEMO_USERS,
    authorizationResponseIss: options.authorizationResponseIss ?? false,
    dpopNonce: options.dpopNonce ?? true,
  };
}

// ---------------------------------------------------------------------------
// Loading oidc-provider

let oidcModule: typeof OidcProviderModule | undefined;

/**
 * oidc-provider prints "Unsupported runtime" when it is first loaded on Node 20, on which it
 * works (this package needs Node >= 20.19, where `require()` of ES modules is built in).
 * The load is synchronous, so the filter on `console.warn` is in place only while that one
 * module graph evaluates, and it drops only that exact warning.
 */
function oidc(): typeof OidcProviderModule {
  if (oidcModule) return oidcModule;
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string' && first.includes('oidc-provider WARNING: Unsupported runtime')) return;
    warn.apply(console, args);
  };
  try {
    // A require() rather than an import: the load has to happen here, inside the filter.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    oidcModule = require('oidc-provider') as typeof OidcProviderModule;
  } finally {
    console.warn = warn;
  }
  return oidcModule;
}

// ---------------------------------------------------------------------------
// Providers

async function createAuthServer(origin: string, id: string | undefined, settings: Settings): Promise<AuthServer> {
  const mountPath = id === undefined ? '' : `/oauth2/${id}`;
  const issuer = `${origin}${mountPath}`;
  const routePrefix = id === undefined ? '/oauth2/v1' : '/v1';
  const configuration = providerConfiguration({
    settings,
    origin,
    routePrefix,
    apiAudience: id === undefined ? undefined : `api://${id}`,
    cookiePrefix: id === undefined ? 'okta_org' : `okta_as_${id}`,
    signingKey: await createSigningKey(),
  });
  const provider = new (oidc().Provider)(issuer, configuration);
  provider.use(async (ctx, next) => {
    await next();
    await adjustResponse(ctx as KoaContextWithOIDC, issuer, settings);
  });
  provider.silent = settings.quiet; // Koa would print unexpected errors itself
  listenForEvents(provider, id, settings);
  await checkClients(provider, settings.clients);
  return { id, issuer, mountPath, provider, handle: provider.callback() };
}

/** oidc-provider checks client metadata on first use; check it at start instead. */
async function checkClients(provider: Provider, clients: LocalOktaClient[]): Promise<void> {
  for (const { clientId } of clients) {
    try {
      await provider.Client.find(clientId);
    } catch (err) {
      const reason = (err as { error_description?: string }).error_description ?? String(err);
      throw new TypeError(`local Okta: client '${clientId}' is invalid: ${reason}`, { cause: err });
    }
  }
}

async function createSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

interface ConfigurationInput {
  settings: Settings;
  origin: string;
  routePrefix: string;
  cookiePrefix: string;
  signingKey: JWK;
  /** The custom server's API audience; none for the org server. */
  apiAudience: string | undefined;
}

function providerConfiguration(input: ConfigurationInput): Configuration {
  const { settings, origin, routePrefix, cookiePrefix, signingKey, apiAudience } = input;
  return {
    adapter: memoryAdapter(),
    clients: settings.clients.map(clientMetadata),
    jwks: { keys: [signingKey] },
    routes: oktaRoutes(routePrefix),
    cookies: {
      names: {
        session: `${cookiePrefix}_session`,
        interaction: `${cookiePrefix}_interaction`,
        resume: `${cookiePrefix}_resume`,
      },
      keys: [randomBytes(32).toString('base64url')],
    },
    claims: OKTA_CLAIMS,
    scopes: ['openid', 'offline_access'],
    responseTypes: ['code'],
    // Okta puts name, preferred_username and email in the ID token; oidc-provider would
    // otherwise keep profile and email claims for userinfo only. findAccount thins it.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => findAccount(settings.users, sub),
    loadExistingGrant: grantRequestedScopes,
    extraTokenClaims: oktaAccessTokenClaims,
    // Validators run on every authorization and PAR request, after oidc-provider's own
    // checks. `idp` (Okta's identity provider hint) is accepted and ignored.
    extraParams: { state: requireState, scope: keepOfflineAccess, idp: null },
    pkce: { required: () => true },
    expiresWithSession: () => false,
    // Like Okta's defaults: rotation for public clients (SPAs), none for confidential ones.
    rotateRefreshToken: (ctx) => ctx.oidc.client?.clientAuthMethod === 'none',
    ttl: TTL,
    interactions: { url: (_ctx, interaction) => `${origin}/login/${interaction.uid}` },
    clientBasedCORS: (_ctx, requestOrigin, client) => allowedOrigin(requestOrigin, client.redirectUris ?? []),
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: apiAudience === undefined ? { enabled: false } : apiResource(apiAudience),
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: (ctx) => settings.dpopNonce && ctx.oidc.route === 'token',
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx) => endSessionAndRedirect(ctx),
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = page('Signed out', '<h1>Signed out</h1><p>You have been signed out.</p>');
        },
      },
    },
  };
}

/**
 * The custom server's API as a resource server: asked for by its scopes (clients do not
 * send RFC 8707 `resource` to Okta), with JWT access tokens signed like ID tokens.
 */
function apiResource(audience: string): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  const asksForApi = (ctx: KoaContextWithOIDC): boolean => {
    const scope = ctx.oidc.params?.scope;
    return typeof scope === 'string' && scope.split(' ').some((s) => API_SCOPES.includes(s));
  };
  return {
    enabled: true,
    defaultResource: (ctx) => (asksForApi(ctx) ? audience : undefined) as string,
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resource) => {
      if (resource !== audience) throw new (oidc().errors.InvalidTarget)();
      return {
        scope: API_SCOPES.join(' '),
        audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: TTL.AccessToken,
        jwt: { sign: { alg: 'RS256' } },
      };
    },
  };
}

/** Okta's own access token claims: `ver`, `cid`, `uid` (tokens of a user) and `scp` (an array). */
function oktaAccessTokenClaims(
  _ctx: KoaContextWithOIDC,
  token: { kind: string; clientId?: string; accountId?: string; scope?: string },
) {
  if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
  return {
    ver: 1,
    cid: token.clientId,
    ...(token.accountId === undefined ? {} : { uid: token.accountId }),
    scp: (token.scope ?? '').split(' ').filter(Boolean),
  };
}

function oktaRoutes(prefix: string): Configuration['routes'] {
  return {
    authorization: `${prefix}/authorize`,
    token: `${prefix}/token`,
    jwks: `${prefix}/keys`,
    userinfo: `${prefix}/userinfo`,
    revocation: `${prefix}/revoke`,
    end_session: `${prefix}/logout`,
    pushed_authorization_request: `${prefix}/par`,
    introspection: `${prefix}/introspect`,
  };
}

function clientMetadata(client: LocalOktaClient): ClientMetadata {
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', ...(client.clientCredentials ? ['client_credentials'] : [])],
    response_types: ['code'],
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as ClientMetadata['jwks'] }),
    dpop_bound_access_tokens: client.dpopBoundAccessTokens ?? false,
  };
}

function allowedOrigin(origin: string, redirectUris: readonly string[]): boolean {
  return redirectUris.some((uri) => URL.parse(uri)?.origin === origin);
}

function listenForEvents(provider: Provider, id: string | undefined, settings: Settings): void {
  if (settings.quiet) return;
  const name = id === undefined ? 'org' : id;
  provider.on('server_error', (_ctx: unknown, err: Error) => {
    console.error(`[local-okta:${name}] server error:`, err);
  });
  provider.on('end_session.success', () => console.log(`[local-okta:${name}] signed out`));
}

// ---------------------------------------------------------------------------
// Accounts and claims

function findAccount(users: DemoUser[], sub: string) {
  const user = users.find((candidate) => candidate.sub === sub);
  if (!user) return undefined;
  return {
    accountId: user.sub,
    claims: (use: string) => (use === 'id_token' ? idTokenClaims(user) : userinfoClaims(user)),
  };
}

/** The thin set of Okta's code-flow ID token; scopes still decide which of these appear. */
function idTokenClaims(user: DemoUser) {
  return {
    sub: user.sub,
    name: displayName(user),
    preferred_username: user.username,
    email: user.email,
    ver: 1,
    idp: OKTA_IDP_ID,
  };
}

function userinfoClaims(user: DemoUser) {
  return {
    sub: user.sub,
    name: displayName(user),
    given_name: user.givenName,
    family_name: user.familyName,
    preferred_username: user.username,
    email: user.email,
    email_verified: true,
    locale: 'en_US',
    zoneinfo: 'America/Los_Angeles',
    updated_at: PROFILE_UPDATED_AT,
    groups: user.groups,
  };
}

function displayName(user: DemoUser): string {
  return `${user.givenName} ${user.familyName}`;
}

function authenticate(users: DemoUser[], username: string, password: string): DemoUser | undefined {
  // Okta logins are case-insensitive; passwords are not.
  const login = username.trim().toLowerCase();
  return users.find((user) => user.username.toLowerCase() === login && user.password === password);
}

// ---------------------------------------------------------------------------
// Authorization request rules (extraParams validators) and grants

/** Okta rejects an authorization request without `state`. */
function requireState(_ctx: KoaContextWithOIDC, value: string | undefined): void {
  if (!value) {
    throw new (oidc().errors.InvalidRequest)("the authorization request is missing the required 'state' parameter");
  }
}

/**
 * oidc-provider drops `offline_access` unless `prompt=consent` is asked (OpenID Connect
 * Core 11); Okta keeps it for any app allowed the refresh_token grant. Put it back, from
 * the request as the client sent it, so that the grant, the code and the token response
 * all carry it and a refresh token is issued.
 */
function keepOfflineAccess(ctx: KoaContextWithOIDC): void {
  const { params, client } = ctx.oidc;
  if (!params || !client) return;
  const asked = rawScope(ctx)?.split(' ') ?? [];
  const responseType = typeof params.response_type === 'string' ? params.response_type : '';
  if (!asked.includes('offline_access') || !responseType.includes('code')) return;
  if (!client.grantTypeAllowed('refresh_token')) return;
  const scopes = new Set(typeof params.scope === 'string' ? params.scope.split(' ') : []);
  scopes.add('offline_access');
  params.scope = [...scopes].join(' ');
}

/** The `scope` as the client sent it: from the pushed request, the form body or the query. */
function rawScope(ctx: KoaContextWithOIDC): string | undefined {
  const pushed = ctx.oidc.entities.PushedAuthorizationRequest;
  const source = pushed ? decodeJwt(pushed.request) : ctx.method === 'POST' ? ctx.oidc.body : ctx.query;
  const scope = source?.scope;
  return typeof scope === 'string' ? scope : undefined;
}

/**
 * No consent screen, as for a first-party Okta app: the grant covers whatever the request
 * asks, so oidc-provider's consent prompt never needs to ask.
 */
async function grantRequestedScopes(ctx: KoaContextWithOIDC) {
  const { oidc: o } = ctx;
  const accountId = o.session?.accountId;
  const clientId = o.client?.clientId;
  if (!accountId || !clientId) return undefined;
  const grantId = o.result?.consent?.grantId ?? o.session?.grantIdFor(clientId);
  const existing = grantId ? await o.provider.Grant.find(grantId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new o.provider.Grant({ accountId, clientId });
  grant.addOIDCScope(o.requestParamOIDCScopes);
  grant.addOIDCClaims(o.requestParamClaims);
  for (const [indicator, server] of Object.entries(o.resourceServers ?? {})) {
    const asked = [...o.requestParamScopes].filter((scope) => server.scopes.has(scope));
    if (asked.length > 0) grant.addResourceScope(indicator, asked.join(' '));
  }
  await grant.save();
  return grant;
}

// ---------------------------------------------------------------------------
// Logout and response adjustments

/**
 * Okta's `/v1/logout` ends the session and redirects at once: no confirmation page, and
 * tokens stay valid (Okta does not revoke them on logout).
 */
async function endSessionAndRedirect(ctx: KoaContextWithOIDC): Promise<void> {
  const { session, params, provider } = ctx.oidc;
  if (session) await session.destroy();
  ctx.cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'lax', overwrite: true });
  const postLogout = params?.post_logout_redirect_uri;
  const state = params?.state;
  const target = new URL(typeof postLogout === 'string' ? postLogout : ctx.oidc.urlFor('end_session_success'));
  if (typeof postLogout === 'string' && typeof state === 'string') target.searchParams.set('state', state);
  ctx.status = 303;
  ctx.redirect(target.href);
}

/**
 * Runs after oidc-provider answered, to remove what Okta would not send: the RFC 9207
 * `iss` on authorization responses (unless asked for), and the auto-posting confirmation
 * that oidc-provider shows on logout when there is no session (Okta just redirects).
 */
async function adjustResponse(ctx: KoaContextWithOIDC, issuer: string, settings: Settings): Promise<void> {
  const route = 'oidc' in ctx ? ctx.oidc.route : undefined;
  if (route === 'authorization' || route === 'resume') {
    if (!settings.authorizationResponseIss) removeIssFromAuthorizationResponse(ctx, issuer);
  } else if (route === 'discovery') {
    if (!settings.authorizationResponseIss) removeIssFromDiscovery(ctx);
  } else if (route === 'end_session' && ctx.status === 200 && !ctx.oidc.session?.accountId) {
    await endSessionAndRedirect(ctx);
  }
}

function removeIssFromAuthorizationResponse(ctx: KoaContextWithOIDC, issuer: string): void {
  const location = ctx.response.get('Location');
  if (location) {
    ctx.set('Location', withoutIss(location, issuer));
  } else if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    // The form_post page: one hidden input per response parameter.
    ctx.body = ctx.body.replace(/\s*<input type="hidden" name="iss" value="[^"]*"\/>/, '');
  }
}

function withoutIss(location: string, issuer: string): string {
  const url = URL.parse(location);
  if (!url) return location;
  if (url.searchParams.get('iss') === issuer) url.searchParams.delete('iss');
  const fragment = new URLSearchParams(url.hash.slice(1));
  if (fragment.get('iss') === issuer) {
    fragment.delete('iss');
    url.hash = fragment.toString();
  }
  return url.href;
}

function removeIssFromDiscovery(ctx: KoaContextWithOIDC): void {
  const body: unknown = ctx.body;
  if (body && typeof body === 'object' && 'authorization_response_iss_parameter_supported' in body) {
    delete (body as Record<string, unknown>).authorization_response_iss_parameter_supported;
  }
}

// ---------------------------------------------------------------------------
// HTTP routing

async function handleRequest(req: IncomingMessage, res: ServerResponse, servers: AuthServer[], settings: Settings) {
  const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  const login = /^\/login\/([A-Za-z0-9_-]+)$/.exec(pathname);
  if (login?.[1]) {
    await handleLogin(req, res, login[1], servers, settings);
    return;
  }
  const server = serverForPath(pathname, servers);
  if (!server) {
    sendHtml(res, 404, page('Not found', '<h1>Not found</h1>'));
    return;
  }
  if (server.mountPath) {
    // oidc-provider's routes are relative to its mount point; it finds that mount point
    // again from req.originalUrl when it builds absolute URLs.
    const originalUrl = req.url ?? '/';
    const rest = originalUrl.slice(server.mountPath.length);
    Object.assign(req, { originalUrl, url: rest.startsWith('/') ? rest : `/${rest}` });
  }
  await server.handle(req, res);
}

function serverForPath(pathname: string, servers: AuthServer[]): AuthServer | undefined {
  if (pathname.startsWith('/oauth2/v1/') || pathname.startsWith('/.well-known/')) {
    return servers.find((server) => server.id === undefined);
  }
  return servers.find(
    (server) => server.mountPath && (pathname === server.mountPath || pathname.startsWith(`${server.mountPath}/`)),
  );
}

// ---------------------------------------------------------------------------
// Sign-in pages (the provider's interactions)

async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  servers: AuthServer[],
  settings: Settings,
): Promise<void> {
  const server = await serverForInteraction(uid, servers);
  const details = server ? await interactionDetails(server, req, res) : undefined;
  if (!server || !details || details.uid !== uid) {
    sendHtml(res, 400, errorPage({ error: 'invalid_request', error_description: 'This sign-in has expired or is unknown.' }));
    return;
  }
  const form: LoginForm = { uid, clientId: String(details.params.client_id), issuer: server.issuer };
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') {
      sendHtml(res, 200, loginPage({ ...form, username: stringOr(details.params.login_hint, '') }));
    } else {
      // Only an explicit prompt=consent gets here: consent is implied, as in Okta.
      await server.provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
    }
    return;
  }
  if (req.method !== 'POST') {
    sendHtml(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
    return;
  }
  await submitLogin(req, res, server, form, settings);
}

async function submitLogin(
  req: IncomingMessage,
  res: ServerResponse,
  server: AuthServer,
  form: LoginForm,
  settings: Settings,
): Promise<void> {
  const fields = await readForm(req);
  if (fields.get('deny')) {
    const result = { error: 'access_denied', error_description: 'User denied access' };
    await server.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const username = fields.get('username') ?? '';
  const user = authenticate(settings.users, username, fields.get('password') ?? '');
  if (!user) {
    sendHtml(res, 401, loginPage({ ...form, username, error: 'Unable to sign in' }));
    return;
  }
  if (!settings.quiet) console.log(`[local-okta] ${user.username} signed in to ${form.clientId}`);
  // `consent: {}` says consent is implied, so that even prompt=consent asks nothing more.
  const result = { login: { accountId: user.sub, amr: ['pwd'] }, consent: {} };
  await server.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function serverForInteraction(uid: string, servers: AuthServer[]): Promise<AuthServer | undefined> {
  for (const server of servers) {
    if (await server.provider.Interaction.find(uid)) return server;
  }
  return undefined;
}

async function interactionDetails(server: AuthServer, req: IncomingMessage, res: ServerResponse) {
  try {
    return await server.provider.interactionDetails(req, res);
  } catch {
    return undefined; // no interaction cookie, or the interaction expired
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const limit = 16 * 1024;
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('form body too large');
  }
  return new URLSearchParams(body);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

// ---------------------------------------------------------------------------
// HTML

interface LoginForm {
  uid: string;
  clientId: string;
  issuer: string;
  username?: string;
  error?: string;
}

function loginPage({ uid, clientId, issuer, username = '', error }: LoginForm): string {
  const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Sign In',
    `<h1>Sign In</h1>
    <p class="muted">to <strong>${escapeHtml(clientId)}</strong></p>
    ${alert}
    <form method="post" action="/login/${escapeHtml(uid)}">
      <label>Username <input name="username" autocomplete="username" value="${escapeHtml(username)}" autofocus required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <button type="submit" name="deny" value="1" formnovalidate class="secondary">Cancel</button>
    </form>
    <p class="muted small">Local Okta &middot; ${escapeHtml(issuer)}</p>`,
  );
}

function errorPage(out: ErrorOut): string {
  const description = out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : '';
  return page('Error', `<h1>Error</h1><p><code>${escapeHtml(out.error)}</code></p>${description}`);
}

function page(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d1d21; margin: 0; }
    main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
    h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
    label { display: block; margin: 1rem 0 0; font-size: .9rem; }
    input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem; padding: .55rem; font-size: 1rem; border: 1px solid #8c8c96; border-radius: 4px; }
    button { display: block; width: 100%; margin-top: 1rem; padding: .6rem; font-size: 1rem; border: 0; border-radius: 4px; background: #1662dd; color: #fff; cursor: pointer; }
    button.secondary { background: none; color: #1662dd; margin-top: .5rem; }
    .error { color: #b3261e; background: #fdecea; padding: .5rem .75rem; border-radius: 4px; }
    .muted { color: #6e6e78; margin-top: 0; }
    .small { font-size: .8rem; margin-top: 1.5rem; word-break: break-all; }
  </style>
</head>
<body><main>${content}</main></body>
</html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

function failRequest(res: ServerResponse, settings: Settings, err: unknown): void {
  if (!settings.quiet) console.error('[local-okta] request failed:', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendHtml(res, 500, errorPage({ error: 'server_error', error_description: 'The local Okta failed on this request.' }));
}

// ---------------------------------------------------------------------------
// Storage: an in-memory adapter, one store per issuer

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * A small in-memory store for oidc-provider's models (its own memory adapter is shared by
 * all providers of a process and warns when it is used).
 */
function memoryAdapter(): AdapterFactory {
  const entries = new Map<string, StoredEntry>();
  const sessionIdsByUid = new Map<string, string>();
  const keysByGrant = new Map<string, Set<string>>();
  let writes = 0;

  const get = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry?.payload;
  };
  const sweep = () => {
    for (const key of entries.keys()) get(key);
    for (const [grantId, keys] of keysByGrant) {
      for (const key of keys) if (!entries.has(key)) keys.delete(key);
      if (keys.size === 0) keysByGrant.delete(grantId);
    }
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
        if (model === 'Session' && payload.uid) sessionIdsByUid.set(payload.uid, id);
        if (payload.grantId) keysByGrant.set(payload.grantId, (keysByGrant.get(payload.grantId) ?? new Set()).add(key(id)));
        if (++writes % 100 === 0) sweep();
      },
      async find(id) {
        return get(key(id));
      },
      async findByUid(uid) {
        const id = sessionIdsByUid.get(uid);
        return id === undefined ? undefined : get(key(id));
      },
      async findByUserCode() {
        return undefined; // the device flow is off
      },
      async consume(id) {
        const payload = get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of keysByGrant.get(grantId) ?? []) entries.delete(member);
        keysByGrant.delete(grantId);
      },
    };
  };
}

// ---------------------------------------------------------------------------
// Server lifecycle

function listenAddress(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, '');
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

function printBanner(okta: LocalOkta, settings: Settings): void {
  if (settings.quiet) return;
  const lines = [
    `Local Okta listening on ${okta.origin}`,
    `  org authorization server: ${okta.issuer()}`,
    ...settings.authServerIds.map((id) => `  custom authorization server '${id}': ${okta.issuer(id)}`),
    '  users:',
    ...settings.users.map((user) => `    ${user.username} / ${user.password} (groups: ${user.groups.join(', ')})`),
  ];
  console.log(lines.join('\n'));
}
