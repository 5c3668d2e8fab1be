import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { RequestListener } from 'node:http';
import { Passport } from 'passport';
import {
  DEMO_USERS,
  startLocalOkta,
  type DemoUser,
  type LocalOkta,
  type LocalOktaClient,
} from '../../example/local-okta/index.js';
import {
  keepTokensFresh,
  oktaLogout,
  OktaStrategy,
  type OktaAuthenticateOptions,
  type OktaStrategyOptions,
  type StoredTokens,
} from '../../lib/index.js';
import { TokenError } from '../../lib/core/errors.js';
import { ScriptedBrowser } from '../support/browser.js';
import { isOktaForm, signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// Okta's advanced features, each through whole sign-ins against the local Okta-like
// provider (oidc-provider) over real HTTP.

const alice = DEMO_USERS[0] as DemoUser;
const SECRET = 'a-client-secret-long-enough-for-client-secret-jwt';

interface TestUser {
  id: string;
  tokens: StoredTokens;
  authTime: number;
}

interface StrategySpec {
  name: string;
  method?: LocalOktaClient['tokenEndpointAuthMethod'];
  options?: Partial<OktaStrategyOptions>;
  org?: boolean;
  dpopBound?: boolean;
}

const specs = (appKey: JWK): StrategySpec[] => [
  { name: 'basic' },
  { name: 'post', method: 'client_secret_post' },
  { name: 'secretjwt', method: 'client_secret_jwt' },
  { name: 'keyjwt', method: 'private_key_jwt', options: { clientSecret: undefined, privateKey: appKey } },
  { name: 'public', method: 'none', options: { clientSecret: undefined } },
  { name: 'dpop', options: { dpop: true, userInfo: true }, dpopBound: true },
  { name: 'par', options: { pushedAuthorizationRequests: true } },
  { name: 'org', org: true },
];

/** The app: a login and callback route per strategy, the user at /me, refresh and logout helpers. */
function makeApp(
  okta: LocalOkta,
  origin: string,
  list: StrategySpec[],
): { app: express.Express; strategies: Record<string, OktaStrategy> } {
  const passport = new Passport();
  const strategies: Record<string, OktaStrategy> = {};
  for (const spec of list) {
    const strategy = new OktaStrategy(
      {
        name: spec.name,
        oktaDomain: okta.origin,
        authServerId: spec.org ? undefined : 'default',
        clientID: `app-${spec.name}`,
        clientSecret: SECRET,
        tokenEndpointAuthMethod: spec.method,
        callbackURL: `${origin}/auth/${spec.name}/callback`,
        scope: ['openid', 'profile', 'offline_access'],
        ...spec.options,
      },
      async (tokens, profile): Promise<TestUser> => ({
        id: profile.id,
        tokens: { ...tokens, accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString() },
        authTime: profile._json.auth_time as number,
      }),
    );
    passport.use(strategy);
    strategies[spec.name] = strategy;
  }
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.use(session({ secret: 'advanced-e2e', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  for (const { name } of list) {
    app.get(`/login/${name}`, (req, res, next) => {
      const options: Omit<OktaAuthenticateOptions, 'state'> = {};
      if (typeof req.query.prompt === 'string') options.prompt = req.query.prompt;
      if (typeof req.query.maxAge === 'string') options.maxAge = Number(req.query.maxAge);
      passport.authenticate(name, options)(req, res, next);
    });
    app.get(
      `/auth/${name}/callback`,
      passport.authenticate(name, { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true }),
      (_req, res) => res.redirect('/me'),
    );
  }
  const tokensOf = (req: express.Request): StoredTokens | undefined => (req.user as TestUser | undefined)?.tokens;
  app.use(
    '/fresh',
    keepTokensFresh(strategies.basic!, {
      getTokens: tokensOf,
      setTokens: (req, tokens) => {
        (req.user as TestUser).tokens = tokens;
        (req.session as unknown as { passport: { user: TestUser } }).passport.user.tokens = tokens;
      },
      // Refresh on every request, to see it happen.
      refreshBefore: 24 * 3600_000,
    }) as unknown as express.RequestHandler,
  );
  app.get('/fresh', (req, res) => res.json({ user: req.user ?? null }));
  const logout = oktaLogout(strategies.basic!, { getTokens: tokensOf, postLogoutRedirectURI: '/signed-out', redirectTo: '/' });
  app.post('/logout', logout as unknown as express.RequestHandler);
  app.get('/signed-out', logout.callback as unknown as express.RequestHandler);
  app.get('/', (_req, res) => res.send('home'));
  app.get('/me', (req, res) => {
    res.status(req.user ? 200 : 401).json({ user: req.user ?? null });
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as { messages?: string[] }).messages ?? [] });
  });
  return { app, strategies };
}

describe("Okta's advanced features against the local provider", function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let slot: Slot;
  let strategies: Record<string, OktaStrategy>;

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const appKey: JWK = { ...(await exportJWK(privateKey)), kid: 'app-key-1', alg: 'RS256' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'app-key-1', alg: 'RS256', use: 'sig' };
    slot = await openSlot();
    const list = specs(appKey);
    okta = await startLocalOkta({
      clients: list.map((spec) => ({
        clientId: `app-${spec.name}`,
        ...(spec.method === 'private_key_jwt' || spec.method === 'none' ? {} : { clientSecret: SECRET }),
        redirectUris: [`${slot.origin}/auth/${spec.name}/callback`],
        postLogoutRedirectUris: [`${slot.origin}/signed-out`],
        tokenEndpointAuthMethod: spec.method ?? 'client_secret_basic',
        ...(spec.method === 'private_key_jwt' ? { jwks: { keys: [publicJwk] } } : {}),
        ...(spec.dpopBound ? { dpopBoundAccessTokens: true } : {}),
      })),
    });
    const made = makeApp(okta, slot.origin, list);
    strategies = made.strategies;
    slot.serve(made.app as unknown as RequestListener);
  });
  after(async () => {
    await slot?.close();
    await okta?.close();
  });

  async function me(browser: ScriptedBrowser): Promise<TestUser | null> {
    const page = await browser.get(`${slot.origin}/me`);
    return (JSON.parse(page.body) as { user: TestUser | null }).user;
  }

  for (const [name, label] of [
    ['post', 'client_secret_post'],
    ['secretjwt', 'client_secret_jwt (an HS256 assertion)'],
    ['keyjwt', "private_key_jwt (an RS256 assertion with the app's key)"],
    ['public', 'none: a public client with PKCE only'],
    ['org', "the org authorization server's layout"],
  ] as const) {
    it(`signs in with ${label}`, async () => {
      const browser = new ScriptedBrowser();
      await signIn(browser, `${slot.origin}/login/${name}`, alice);
      const user = await me(browser);
      expect(user?.id).to.equal(alice.sub);
      expect(user?.tokens.tokenType).to.equal('Bearer');
      const claims = decodeJwt(user!.tokens.idToken!);
      expect(claims.iss).to.equal(name === 'org' ? okta.origin : `${okta.origin}/oauth2/default`);
    });
  }

  it('gets DPoP-bound tokens (answering the DPoP nonce challenge) and uses them at userinfo', async () => {
    const browser = new ScriptedBrowser();
    await signIn(browser, `${slot.origin}/login/dpop`, alice);
    const user = await me(browser);
    expect(user?.tokens.tokenType).to.equal('DPoP');
    // userInfo: true made the strategy call /v1/userinfo with the DPoP token and a proof.
    const info = await strategies.dpop!.client.fetchUserInfo(user!.tokens.accessToken);
    expect(info).to.include({ sub: alice.sub, given_name: alice.givenName });
    // Without the proof, the bound token is refused.
    const bare = await fetch(`${okta.origin}/oauth2/default/v1/userinfo`, {
      headers: { authorization: `Bearer ${user!.tokens.accessToken}` },
    });
    expect(bare.status).to.equal(401);
  });

  it('pushes the authorization request (PAR) and redirects with client_id and request_uri only', async () => {
    const browser = new ScriptedBrowser();
    const start = await browser.request(`${slot.origin}/login/par`, { method: 'GET' });
    const authorize = new URL(start.headers.get('location')!);
    expect([...authorize.searchParams.keys()].sort()).to.deep.equal(['client_id', 'request_uri']);
    await signIn(browser, authorize.toString(), alice);
    expect((await me(browser))?.id).to.equal(alice.sub);
  });

  it('step-up: max_age forces a fresh sign-in, and the new auth_time is checked', async () => {
    const browser = new ScriptedBrowser();
    await signIn(browser, `${slot.origin}/login/basic`, alice);
    const first = (await me(browser))!.authTime;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // With an Okta session, a plain sign-in goes straight back...
    const silent = await browser.get(`${slot.origin}/login/basic`);
    expect(isOktaForm(silent)).to.equal(false);
    // ...but max_age=0 makes Okta ask again.
    const again = await browser.get(`${slot.origin}/login/basic?maxAge=0`);
    expect(isOktaForm(again)).to.equal(true);
    await signIn(browser, `${slot.origin}/login/basic?maxAge=0`, alice);
    expect((await me(browser))!.authTime).to.be.greaterThan(first);
  });

  it('prompt=none without an Okta session fails with login_required', async () => {
    const browser = new ScriptedBrowser();
    const page = await browser.get(`${slot.origin}/login/basic?prompt=none`);
    expect(page.status).to.equal(401);
    expect(JSON.parse(page.body).messages.join(' ')).to.match(/login|session|End-User/i);
  });

  it('keepTokensFresh refreshes before expiry, and ends the session when Okta says invalid_grant', async () => {
    const browser = new ScriptedBrowser();
    await signIn(browser, `${slot.origin}/login/basic`, alice);
    const before = (await me(browser))!.tokens;
    const fresh = JSON.parse((await browser.get(`${slot.origin}/fresh`)).body).user as TestUser;
    expect(fresh.tokens.accessToken).to.not.equal(before.accessToken);
    expect(decodeJwt(fresh.tokens.idToken!).sub).to.equal(alice.sub);
    expect((await me(browser))!.tokens.accessToken, 'kept in the session').to.equal(fresh.tokens.accessToken);

    await strategies.basic!.client.revokeToken(fresh.tokens.refreshToken!, 'refresh_token');
    const after = JSON.parse((await browser.get(`${slot.origin}/fresh`)).body) as { user: unknown };
    expect(after.user).to.equal(null);
    expect(await me(browser)).to.equal(null);
  });

  it('oktaLogout revokes the tokens, ends both sessions, and the return leg checks its state', async () => {
    const browser = new ScriptedBrowser();
    await signIn(browser, `${slot.origin}/login/basic`, alice);
    const { tokens } = (await me(browser))!;
    const out = await browser.post(`${slot.origin}/logout`, {});
    expect(out.history.some((url) => url.startsWith(`${okta.origin}/oauth2/default/v1/logout?`))).to.equal(true);
    expect(out.url).to.equal(`${slot.origin}/`);
    expect(out.body).to.equal('home');
    expect(await me(browser)).to.equal(null);
    const refused = await strategies.basic!.client.refreshAccessToken(tokens.refreshToken!).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(TokenError).with.property('error', 'invalid_grant');
    // The Okta session is gone too: signing in shows the form again.
    expect(isOktaForm(await browser.get(`${slot.origin}/login/basic`))).to.equal(true);
    // A return leg with a state this browser was not given is refused.
    const forged = await new ScriptedBrowser().get(`${slot.origin}/signed-out?state=forged`);
    expect(forged.status).to.equal(403);
  });

  it('keeps several Okta authorization servers apart: a pending login of one is refused by the other', async () => {
    const browser = new ScriptedBrowser();
    const start = await browser.request(`${slot.origin}/login/basic`, { method: 'GET' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const page = await browser.get(`${slot.origin}/auth/org/callback?code=anything&state=${state}`);
    expect(page.status).to.equal(401);
    expect(JSON.parse(page.body).messages.join(' ')).to.match(/state/);
  });
});
