import { expect } from 'chai';
import type express from 'express';
import { decodeJwt } from 'jose';
import {
  keepTokensFresh,
  type KeepTokensFreshOptions,
  type OktaTokens,
  type RefreshRefusal,
  type StoredTokens,
} from '../lib/index.js';
import { CookieBrowser, createTestApp, type TestApp } from './support/hostile-app.js';
import { makeStrategy } from './support/hostile-harness.js';
import { HostileOkta } from './support/hostile-okta.js';
import { listen, type Listening } from './support/server.js';

// keepTokensFresh in an Express app, against the hostile provider over real HTTP: the
// provider answers a refresh with tokens that are not the signed-in user's.

interface RefreshUser {
  id: string;
  tokens: StoredTokens;
}

interface AppSpec {
  /** What the app keeps of the sign-in's tokens. Default: all of them. */
  keep?: (tokens: OktaTokens) => StoredTokens;
  options?: Partial<KeepTokensFreshOptions<express.Request>>;
}

const asStored = (tokens: OktaTokens): StoredTokens => ({
  ...tokens,
  accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
});

describe('keepTokensFresh against a provider that answers a refresh for someone else (over real HTTP)', () => {
  let okta: HostileOkta;
  const servers: Listening[] = [];

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  after(async () => {
    for (const server of servers) await server.close();
    await okta.close();
  });

  /** An app whose `/fresh` refreshes the tokens on every request (they always look about to expire). */
  async function startApp(spec: AppSpec = {}): Promise<{ origin: string; testApp: TestApp }> {
    const keep = spec.keep ?? asStored;
    const strategy = makeStrategy(
      okta,
      { scope: ['openid', 'offline_access'] },
      async (tokens, profile): Promise<RefreshUser> => ({ id: profile.id, tokens: keep(tokens) }),
    );
    const testApp = createTestApp(strategy, (app) => {
      app.use(
        '/fresh',
        keepTokensFresh(strategy, {
          getTokens: (req) => (req.user as RefreshUser | undefined)?.tokens,
          setTokens: (req, tokens) => {
            (req.user as RefreshUser).tokens = tokens;
            (req.session as unknown as { passport: { user: RefreshUser } }).passport.user.tokens = tokens;
          },
          refreshBefore: 24 * 3600_000,
          ...spec.options,
        }) as unknown as express.RequestHandler,
      );
      app.get('/fresh', (req, res) => res.json({ user: req.user ?? null }));
    });
    const server = await listen(testApp.app);
    servers.push(server);
    return { origin: server.origin, testApp };
  }

  async function signIn(origin: string, user = 'alice'): Promise<CookieBrowser> {
    const browser = new CookieBrowser();
    const login = await browser.get(`${origin}/login?user=${user}`);
    const callback = await browser.get(await okta.authorize(login.location!));
    expect(callback.status, callback.body).to.equal(302);
    return browser;
  }

  async function userAt(browser: CookieBrowser, url: string): Promise<RefreshUser | null> {
    const answer = await browser.get(url, {});
    expect(answer.status, answer.body).to.equal(200);
    return (JSON.parse(answer.body) as { user: RefreshUser | null }).user;
  }

  /** Every session the app's store holds, as one string. */
  function storedSessions(testApp: TestApp): string {
    return JSON.stringify((testApp.sessions as unknown as { sessions: Record<string, string> }).sessions);
  }

  /** Signs alice in, makes the provider misbehave, and refreshes once. */
  async function refreshAfter(
    misbehave: () => void,
    spec: AppSpec = {},
  ): Promise<{ fresh: RefreshUser | null; me: RefreshUser | null; testApp: TestApp; before: RefreshUser }> {
    const { origin, testApp } = await startApp(spec);
    const browser = await signIn(origin);
    const before = (await userAt(browser, `${origin}/me`))!;
    expect(before.id).to.equal('00ualice');
    misbehave();
    const tokenCalls = okta.hits.token;
    const fresh = await userAt(browser, `${origin}/fresh`);
    expect(okta.hits.token, 'the refresh reached the provider').to.equal(tokenCalls + 1);
    return { fresh, me: await userAt(browser, `${origin}/me`), testApp, before };
  }

  it("refreshes the signed-in user's tokens and keeps the sign-in's subject and auth_time with them", async () => {
    const { fresh, me, before } = await refreshAfter(() => undefined);
    expect(before.tokens.subject).to.equal('00ualice');
    expect(before.tokens.authTime).to.equal(decodeJwt(before.tokens.idToken!).auth_time);
    expect(fresh?.tokens.accessToken).to.be.a('string').and.not.equal(before.tokens.accessToken);
    expect(fresh?.tokens).to.include({ subject: '00ualice', authTime: before.tokens.authTime });
    expect(me?.tokens.accessToken, 'kept in the session').to.equal(fresh?.tokens.accessToken);
  });

  it('ends the session and stores nothing when the refreshed ID token names another user', async () => {
    const { fresh, me, testApp } = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }));
    expect(fresh).to.equal(null);
    expect(me).to.equal(null);
    expect(storedSessions(testApp)).to.not.include('00umallory').and.not.include(okta.lastIdToken!);
  });

  it("ends the session when the refreshed ID token's auth_time is earlier than the sign-in's", async () => {
    const { fresh, me, testApp } = await refreshAfter(
      () => (okta.behaviour = { claims: (grant) => ({ auth_time: grant.authTime - 3600 }) }),
    );
    expect(fresh).to.equal(null);
    expect(me).to.equal(null);
    expect(storedSessions(testApp)).to.not.include(okta.lastIdToken!);
  });

  it('ends the session on a refresh for another user also when the app keeps no ID token', async () => {
    const { fresh, me, testApp, before } = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }), {
      keep: (tokens) => ({ ...asStored(tokens), idToken: null }),
    });
    expect(before.tokens.idToken).to.equal(null);
    expect(fresh).to.equal(null);
    expect(me).to.equal(null);
    expect(storedSessions(testApp)).to.not.include('00umallory').and.not.include(okta.lastIdToken!);
  });

  it('pins tokens kept without a subject (by an older version) to the sub of the ID token kept with them', async () => {
    const { fresh, me } = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }), {
      keep: (tokens) => {
        const { subject, authTime, ...rest } = asStored(tokens);
        void [subject, authTime];
        return rest;
      },
    });
    expect(fresh).to.equal(null);
    expect(me).to.equal(null);
  });

  it('refuses a refreshed ID token when neither a subject nor an ID token was kept (nothing to match it with)', async () => {
    const { fresh, me, testApp } = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }), {
      keep: (tokens) => {
        const { subject, authTime, ...rest } = asStored(tokens);
        void [subject, authTime];
        return { ...rest, idToken: null };
      },
    });
    expect(fresh).to.equal(null);
    expect(me).to.equal(null);
    expect(storedSessions(testApp)).to.not.include(okta.lastIdToken!);
  });

  it('tells onRefreshRefused why (an IdTokenError on sub), and calls a lone onInvalidGrant for it too', async () => {
    const reasons: RefreshRefusal[] = [];
    const hooked = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }), {
      options: {
        onRefreshRefused: async (req, reason) => {
          reasons.push(reason);
          await new Promise<void>((resolve) => req.logout(() => resolve()));
        },
      },
    });
    expect(hooked.fresh).to.equal(null);
    expect(reasons.map((r) => [r.code, 'claim' in r ? r.claim : undefined])).to.deep.equal([['ERR_OKTA_ID_TOKEN', 'sub']]);

    okta.reset();
    let calls = 0;
    const legacy = await refreshAfter(() => (okta.behaviour = { claims: { sub: '00umallory' } }), {
      options: {
        onInvalidGrant: async (req) => {
          calls++;
          await new Promise<void>((resolve) => req.logout(() => resolve()));
        },
      },
    });
    expect(calls).to.equal(1);
    expect(legacy.fresh).to.equal(null);
    expect(legacy.me).to.equal(null);
  });

  it('hands a failing setTokens to the error handler (500) instead of leaving an unhandled rejection', async function () {
    this.timeout(5000);
    const { origin } = await startApp({
      options: {
        setTokens: () => Promise.reject(new Error('the session store is down')),
      },
    });
    const browser = await signIn(origin);
    const answer = await browser.get(`${origin}/fresh`);
    expect(answer.status).to.equal(500);
    expect(JSON.parse(answer.body)).to.deep.equal({ error: 'Error' });
  });
});
