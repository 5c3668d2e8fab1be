// Compiled by test/tooling/types.test.ts in strict mode against the built package's own
// declarations (`passport-okta-oidc` resolves to dist/ through package.json "exports").
// Every @ts-expect-error must be needed, or the compile fails.
import type express from 'express';
import passport from 'passport';
import { OktaClient } from 'passport-okta-oidc/client';
import {
  errors,
  OktaStrategy,
  keepTokensFresh,
  oktaAuthenticate,
  oktaLogout,
  type OktaAuthenticateOptions,
  type OktaErrorCode,
  type OktaProfile,
  type OktaTokens,
  type PendingLogin,
  type StateStore,
  type StoredTokens,
  type VerifyCallback,
} from 'passport-okta-oidc';

const {
  ConfigurationError,
  IdTokenError,
  KeySetUnavailableError,
  OktaError,
  RateLimitError,
  RefreshUnavailableError,
  ResponseError,
  TokenError,
} = errors;
type OktaErrorBody = errors.OktaErrorBody;

const base = {
  trustedAudiences: ['api://default'],
  oktaDomain: 'https://acme.okta.com',
  authServerId: 'default',
  clientID: '0oa1',
  clientSecret: 'secret',
  callbackURL: '/auth/okta/callback',
};

interface AppUser {
  id: string;
  email: string | undefined;
}

// A promise-returning verify function gets its parameter types from context.
passport.use(
  new OktaStrategy(base, async (tokens, profile): Promise<AppUser> => {
    const expires: Date = tokens.accessTokenExpiresAt;
    const refresh: string | null = tokens.refreshToken;
    void expires;
    void refresh;
    return { id: profile.id, email: profile.emails?.[0]?.value };
  }),
);

// The done form.
new OktaStrategy({ ...base, scope: ['profile', 'email'], userInfo: 'auto' }, (_tokens, profile, done) => {
  const groups: string[] | undefined = profile.groups;
  done(null, { id: profile.id, groups });
});

// The request form, with the request typed as Express's.
new OktaStrategy({ ...base, passReqToCallback: true }, (req: express.Request, _tokens, profile, done) => {
  done(null, { id: profile.id, ip: req.ip });
});

// @ts-expect-error a request-first verify function needs passReqToCallback: true
new OktaStrategy(base, (req: express.Request, tokens: OktaTokens, profile: OktaProfile, done: VerifyCallback) => done(null, req));

// @ts-expect-error clientID is required
new OktaStrategy({ oktaDomain: 'x', clientSecret: 'y', callbackURL: '/cb' }, async () => false);

// @ts-expect-error scope takes strings
new OktaStrategy({ ...base, scope: [1, 2] }, async () => false);

// @ts-expect-error userInfo is true, false or 'auto'
new OktaStrategy({ ...base, userInfo: 'sometimes' }, async () => false);

// Per-request options are typed; `satisfies` checks them and still fits Passport's own type.
const options = {
  scope: ['groups'],
  prompt: 'login',
  loginHint: 'a@b.c',
  maxAge: 300,
  state: '/reports',
} satisfies OktaAuthenticateOptions;
passport.authenticate('okta', options);
// @ts-expect-error maxAge is a number of seconds
const wrong = { maxAge: '5m' } satisfies OktaAuthenticateOptions;
void wrong;
// oktaAuthenticate: an object state, step-up and Passport's own options inline, no cast.
const login: express.RequestHandler = oktaAuthenticate(passport, {
  state: { returnTo: '/reports', tab: 2 },
  loginHint: 'a@b.c',
  acrValues: 'urn:okta:loa:2fa:any',
  maxAge: 0,
  failureRedirect: '/login-failed',
  keepSessionInfo: true,
});
void login;
// @ts-expect-error failureRedirect is a path, not a flag
oktaAuthenticate(passport, { failureRedirect: true });

// A custom URL domain whose authorization server Issuer is still "Okta URL".
new OktaStrategy(
  { ...base, oktaDomain: 'https://login.example.com', issuer: 'https://acme.okta.com/oauth2/default' },
  async () => false,
);
// @ts-expect-error issuer is the URL as a string
new OktaStrategy({ ...base, issuer: new URL('https://acme.okta.com/oauth2/default') }, async () => false);

// The Arctic-compatible client.
const client = new OktaClient('acme.okta.com', '0oa1', 'secret', 'https://app.example/cb', {
  authServerId: 'default',
  issuer: 'https://acme.okta.com/oauth2/default',
  timeout: 5000,
});
async function useClient(): Promise<void> {
  const url: URL = await client.createAuthorizationURL('state', 'verifier', { scopes: ['profile'] });
  const tokens: OktaTokens = await client.validateAuthorizationCode('code', 'verifier');
  // @ts-expect-error refreshToken may be null
  const refresh: string = tokens.refreshToken;
  const refreshed = await client.refreshAccessToken(tokens.refreshToken ?? '', { scopes: ['openid'] });
  const idToken: string | null = refreshed.idToken;
  await client.revokeToken(tokens.accessToken, 'access_token');
  const info = await client.fetchUserInfo(tokens.accessToken);
  const sub: string = info.sub;
  const logout: URL = client.logoutURL({ idTokenHint: tokens.idToken, postLogoutRedirectURI: 'https://app.example/' });
  void [url, refresh, idToken, sub, logout];
}
void useClient;

// Errors carry stable codes callers can switch on.
function describe(err: unknown): string {
  if (!(err instanceof OktaError)) return 'other';
  if (err instanceof RateLimitError) return `retry after ${err.rateLimit.reset?.toISOString() ?? 'a while'}`;
  if (err instanceof KeySetUnavailableError) return `keys unavailable until ${err.retryAt.toISOString()}`;
  if (err instanceof RefreshUnavailableError) return `no refresh before ${err.retryAt.toISOString()}`;
  if (err instanceof TokenError) return `${err.error}: Okta answered ${err.oktaStatus}, the app answers ${err.status}`;
  if (err instanceof ResponseError) {
    // Okta's own error body (E0000xxx), when it sent one.
    const okta: OktaErrorBody = { errorCode: err.errorCode, errorSummary: err.errorSummary, errorId: err.errorId };
    // @ts-expect-error the fields are read-only
    err.errorId = 'x';
    return `${okta.errorCode ?? 'no code'} (${okta.errorId ?? 'no id'})`;
  }
  if (err instanceof IdTokenError) return `${err.claim}: ${err.reason}`;
  if (err instanceof ConfigurationError) return err.message;
  const code: string = err.code;
  return code;
}
void describe;

// A custom state store implements the documented interface.
const memory = new Map<string, PendingLogin>();
const store: StateStore = {
  save: (_req, login) => {
    memory.set(login.state, login);
  },
  take: (_req, state) => {
    const login = memory.get(state);
    memory.delete(state);
    return login;
  },
};
new OktaStrategy({ ...base, store }, async () => false);

// @ts-expect-error a store needs take()
new OktaStrategy({ ...base, store: { save: () => undefined } }, async () => false);

// Who the tokens belong to is kept with them, and the session middlewares take typed options.
async function keepSignIn(tokens: OktaTokens): Promise<StoredTokens> {
  const subject: string = tokens.subject;
  const authTime: number | null = tokens.authTime;
  const fresh = await client.refreshAccessToken('rt', { subject, minAuthTime: authTime ?? undefined });
  // @ts-expect-error a refresh names no subject of its own: it is the sign-in's
  void fresh.subject;
  return { ...tokens, accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString() };
}
void keepSignIn;
const sessionStrategy = new OktaStrategy(base, async () => false);
keepTokensFresh(sessionStrategy, {
  getTokens: () => undefined,
  setTokens: () => undefined,
  onRefreshRefused: (_req, reason) => {
    const code: OktaErrorCode = reason.code;
    void code;
  },
});
oktaLogout(sessionStrategy, {
  getTokens: () => undefined,
  postLogoutRedirectURI: '/signed-out',
  allowGet: false,
  allowCrossSite: false,
  onSignedOut: (_req, res) => void res?.setHeader('Clear-Site-Data', '"cookies"'),
});
// @ts-expect-error allowGet is a boolean
oktaLogout(sessionStrategy, { getTokens: () => undefined, postLogoutRedirectURI: '/', allowGet: 'yes' });

// check(): a promise of nothing, on the strategy and on its client.
const checked: Promise<void> = sessionStrategy.check();
const clientChecked: Promise<void> = sessionStrategy.client.check();
void checked;
void clientChecked;

// OktaBearerStrategy: typed claims from context, both verify forms, typed stores and authInfo.
import {
  errors as bearerErrors,
  MemoryDPoPReplayStore,
  MemoryIntrospectionCache,
  OktaBearerStrategy,
  requireScopes,
  type BearerErrorCode,
  type DPoPReplayStore,
  type IntrospectionCache,
  type OktaAccessTokenClaims,
  type OktaBearerAuthInfo,
  type OktaBearerStrategyOptions,
} from 'passport-okta-oidc/bearer';

const { AccessTokenError, ReplayStoreFullError } = bearerErrors;

const api: OktaBearerStrategyOptions = {
  oktaDomain: 'https://acme.okta.com',
  authServerId: 'default',
  issuer: 'https://acme.okta.com/oauth2/default',
  audience: 'api://default',
};
passport.use(
  new OktaBearerStrategy(api, async (claims, token) => {
    const scopes: string[] = claims.scp;
    const client: string = claims.cid;
    const jkt: string | undefined = claims.cnf?.jkt;
    void [scopes, client, jkt, token.length];
    return { id: claims.sub };
  }),
);
new OktaBearerStrategy(api, (claims, _token, done) => done(null, claims.uid ?? false));
new OktaBearerStrategy({ ...api, passReqToCallback: true }, async (req: express.Request, claims) => ({
  ip: req.ip,
  sub: claims.sub,
}));
new OktaBearerStrategy({ ...api, dpop: 'required', dpopReplayStore: new MemoryDPoPReplayStore({ maxEntries: 10 }) });
// @ts-expect-error dpop is 'allowed' | 'required' | 'disabled'
new OktaBearerStrategy({ ...api, dpop: true });
// @ts-expect-error audience is required
new OktaBearerStrategy({ oktaDomain: 'https://acme.okta.com', authServerId: 'default' });
const replayStore: DPoPReplayStore = { claim: async (id: string, expiresAt: number) => id.length > 0 && expiresAt > 0 };
const introspectionCache: IntrospectionCache = new MemoryIntrospectionCache({ maxEntries: 100 });
new OktaBearerStrategy({
  ...api,
  clientID: '0oa1',
  clientSecret: 's',
  introspect: 'always',
  introspectionCache,
  dpopReplayStore: replayStore,
});
const app = null as unknown as express.Express;
app.get('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read'), (req, res) => {
  const info = req.authInfo as OktaBearerAuthInfo;
  const claims: OktaAccessTokenClaims = info.claims;
  const type: 'Bearer' | 'DPoP' = info.tokenType;
  res.json({ sub: claims.sub, type });
});
function onBearerError(err: unknown): number | undefined {
  if (err instanceof AccessTokenError) {
    const code: BearerErrorCode = err.error;
    return code === 'insufficient_scope' ? 403 : err.status;
  }
  return err instanceof ReplayStoreFullError ? err.status : undefined;
}
void onBearerError;
