import { expect } from 'chai';
import type express from 'express';
import { decodeJwt } from 'jose';
import { keepTokensFresh, type KeepTokensFreshOptions, type OktaTokens, type StoredTokens } from '../../lib/index.js';
import { type RefreshRefusal } from '../../lib/app/refresh.js';
import { CookieBrowser, createTestApp, type TestApp } from '../support/hostile-app.js';
import { eventually, makeStrategy } from '../support/hostile-harness.js';
import { HostileOkta, type Reply } from '../support/hostile-okta.js';
import { rateLimitedBody } from '../support/okta-mock.js';
import { listen, type Listening } from '../support/server.js';

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

  describe('absoluteLifetime', () => {
    const LIFETIME = 8 * 3600;

    /** Signs alice in with the app's clock at `offset` seconds after her auth_time, then asks for /fresh. */
    async function freshAt(offset: number, keep?: AppSpec['keep']): Promise<{ fresh: RefreshUser | null; calls: number }> {
      let authTime = 0;
      const { origin } = await startApp({
        keep: (tokens) => {
          authTime = tokens.authTime!;
          return (keep ?? asStored)(tokens);
        },
        options: { absoluteLifetime: LIFETIME, now: () => (authTime + offset) * 1000 },
      });
      const browser = await signIn(origin);
      const calls = okta.hits.token;
      const fresh = await userAt(browser, `${origin}/fresh`);
      return { fresh, calls: okta.hits.token - calls };
    }

    it('refreshes within the lifetime, counted from the sign-in at Okta', async () => {
      const { fresh, calls } = await freshAt(LIFETIME - 10);
      expect(calls).to.equal(1);
      expect(fresh?.id).to.equal('00ualice');
    });

    it('past it, asks Okta for nothing and ends the session, so that the user signs in again', async () => {
      const { fresh, calls } = await freshAt(LIFETIME);
      expect(calls, 'no refresh request').to.equal(0);
      expect(fresh).to.equal(null);
    });

    it("reads auth_time from the kept ID token when the tokens were kept without it (an older version's)", async () => {
      const withoutAuthTime = (tokens: OktaTokens): StoredTokens => ({ ...asStored(tokens), authTime: null });
      expect((await freshAt(LIFETIME - 10, withoutAuthTime)).calls).to.equal(1);
      expect(await freshAt(LIFETIME + 1, withoutAuthTime)).to.deep.equal({ fresh: null, calls: 0 });
    });

    it('ends a session whose sign-in time cannot be known (no auth_time, no ID token): fail closed', async () => {
      const blind = (tokens: OktaTokens): StoredTokens => ({ ...asStored(tokens), authTime: null, idToken: null });
      expect(await freshAt(10, blind)).to.deep.equal({ fresh: null, calls: 0 });
    });

    it('refuses a lifetime that is not a positive number of seconds, naming the option', () => {
      const strategy = makeStrategy(okta);
      for (const absoluteLifetime of [0, -1, Number.NaN, '8h']) {
        expect(() =>
          keepTokensFresh(strategy, {
            getTokens: () => undefined,
            setTokens: () => undefined,
            absoluteLifetime: absoluteLifetime as number,
          }),
        ).to.throw(/absoluteLifetime must be a number of seconds > 0/);
      }
    });
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

describe('keepTokensFresh while Okta rate limits or fails (over real HTTP)', () => {
  let okta: HostileOkta;
  const servers: Listening[] = [];
  /** The middleware's clock: real time plus `skew`, moved forward by the tests. */
  const clock = { skew: 0 };
  const now = (): number => Date.now() + clock.skew;
  /** An access token that expired long ago: every request must refresh it. */
  const EXPIRED = '2001-01-01T00:00:00.000Z';

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => {
    okta.reset();
    clock.skew = 0;
  });
  after(async () => {
    for (const server of servers) await server.close();
    await okta.close();
  });

  interface StormApp {
    origin: string;
    /** Signs users in (with working Okta), then zeroes the provider's counters. */
    signIn(count: number): Promise<CookieBrowser[]>;
  }

  /**
   * An app with two keepTokensFresh middlewares on one strategy (`/fresh` and `/other`),
   * and an error handler that answers the error's own status and code. `expired`: the
   * tokens kept at sign-in have long expired.
   */
  async function startApp(spec: { expired: boolean; timeout?: number }): Promise<StormApp> {
    const strategy = makeStrategy(
      okta,
      { scope: ['openid', 'offline_access'], timeout: spec.timeout ?? 2000 },
      async (tokens, profile): Promise<RefreshUser> => ({
        id: profile.id,
        tokens: { ...asStored(tokens), ...(spec.expired ? { accessTokenExpiresAt: EXPIRED } : {}) },
      }),
    );
    const testApp = createTestApp(strategy, (app) => {
      for (const path of ['/fresh', '/other']) {
        app.use(
          path,
          keepTokensFresh(strategy, {
            getTokens: (req) => (req.user as RefreshUser | undefined)?.tokens,
            setTokens: (req, tokens) => {
              (req.user as RefreshUser).tokens = tokens;
              (req.session as unknown as { passport: { user: RefreshUser } }).passport.user.tokens = tokens;
            },
            // With valid tokens, refresh on every request, to see when Okta is asked.
            refreshBefore: spec.expired ? 60_000 : 24 * 3600_000,
            now,
          }) as unknown as express.RequestHandler,
        );
        app.get(path, (req, res) => res.json({ user: req.user ?? null }));
      }
      const answerError: express.ErrorRequestHandler = (err: Error & { status?: number; code?: string }, _req, res, _next) => {
        void _next;
        res.status(err.status ?? 500).json({ error: err.name, code: err.code, cause: (err.cause as { code?: string })?.code });
      };
      app.use(answerError);
    });
    const server = await listen(testApp.app);
    servers.push(server);
    return {
      origin: server.origin,
      signIn: async (count) => {
        const browsers: CookieBrowser[] = [];
        for (let i = 0; i < count; i++) {
          const browser = new CookieBrowser();
          const login = await browser.get(`${server.origin}/login?user=user${i}`);
          const callback = await browser.get(await okta.authorize(login.location!));
          expect(callback.status, callback.body).to.equal(302);
          browsers.push(browser);
        }
        okta.reset();
        return browsers;
      },
    };
  }

  interface Seen {
    status: number;
    code: string | undefined;
    cause: string | undefined;
    retryAfter: number | undefined;
    accessToken: string | undefined;
  }

  async function visit(browser: CookieBrowser, url: string): Promise<Seen> {
    const answer = await browser.get(url);
    const body = JSON.parse(answer.body) as { code?: string; cause?: string; user?: RefreshUser | null };
    const header = answer.headers['retry-after'];
    return {
      status: answer.status,
      code: body.code,
      cause: body.cause,
      retryAfter: header === undefined ? undefined : Number(header),
      accessToken: body.user?.tokens.accessToken,
    };
  }

  /** Each browser visits `path` `rounds` times, all browsers at once in each round. */
  async function rounds(browsers: CookieBrowser[], url: string, count: number): Promise<Seen[]> {
    const seen: Seen[] = [];
    for (let round = 0; round < count; round++) seen.push(...(await Promise.all(browsers.map((b) => visit(b, url)))));
    return seen;
  }

  const unavailable = (seen: Seen[]): Seen[] => seen.filter((s) => s.status !== 503 || s.code !== 'ERR_OKTA_REFRESH_UNAVAILABLE');

  it('sends one refresh for 200 requests with expired tokens while Okta answers 429 with Retry-After, on any middleware of the client, and resumes after it', async () => {
    const app = await startApp({ expired: true });
    const browsers = await app.signIn(20);
    okta.behaviour = { token: { status: 429, headers: { 'retry-after': '30' }, body: rateLimitedBody() } };

    // 100 concurrent requests of one user share the refresh that meets the 429...
    const first = await Promise.all(Array.from({ length: 100 }, () => visit(browsers[0]!, `${app.origin}/fresh`)));
    expect(okta.hits.token).to.equal(1);
    // (those that came after it are not refreshed: they wait like the rest)
    for (const seen of first) {
      expect(seen.status).to.equal(503);
      expect(seen.code).to.be.oneOf(['ERR_OKTA_RATE_LIMITED', 'ERR_OKTA_REFRESH_UNAVAILABLE']);
      expect(seen.retryAfter).to.be.within(29, 30);
    }
    // ...then 100 requests of 20 users on both middlewares, at once and in turn, never reach Okta.
    const started = Date.now();
    const during = [...(await rounds(browsers, `${app.origin}/fresh`, 3)), ...(await rounds(browsers, `${app.origin}/other`, 2))];
    expect(during).to.have.length(100);
    expect(unavailable(during), 'a clean 503 each').to.deep.equal([]);
    for (const seen of during) {
      expect(seen.cause).to.equal('ERR_OKTA_RATE_LIMITED');
      expect(seen.retryAfter).to.be.within(1, 30);
    }
    expect(Date.now() - started, 'answered without waiting').to.be.below(5000);
    expect(okta.hits.token, '200 requests, one refresh sent to Okta').to.equal(1);

    clock.skew += 25_000; // not yet (the test's own time counts too)
    expect(unavailable(await rounds(browsers, `${app.origin}/fresh`, 1))).to.deep.equal([]);
    expect(okta.hits.token).to.equal(1);

    okta.behaviour = {};
    clock.skew += 6_000; // past Retry-After: refreshing resumes, once per user
    const after = await rounds(browsers, `${app.origin}/fresh`, 2);
    expect(after.map((s) => s.status)).to.deep.equal(Array<number>(40).fill(200));
    expect(new Set(after.map((s) => s.accessToken)).size, 'each user refreshed once').to.equal(20);
    expect(okta.hits.token).to.equal(1 + 20);
  });

  it('waits for X-Rate-Limit-Reset when Okta sends it, and a minute when a 429 says nothing', async () => {
    const app = await startApp({ expired: true });
    const [browser] = await app.signIn(1);
    const url = `${app.origin}/fresh`;
    const reset = Math.floor(now() / 1000) + 120;
    okta.behaviour = {
      token: {
        status: 429,
        headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
        body: rateLimitedBody(),
      },
    };
    expect(await visit(browser!, url)).to.include({ status: 503, code: 'ERR_OKTA_RATE_LIMITED' });
    clock.skew += 100_000;
    expect(await visit(browser!, url)).to.include({ status: 503, code: 'ERR_OKTA_REFRESH_UNAVAILABLE' });
    expect(okta.hits.token).to.equal(1);

    okta.behaviour = { token: { status: 429, body: rateLimitedBody() } };
    clock.skew += 21_000;
    expect(await visit(browser!, url)).to.include({ status: 503, code: 'ERR_OKTA_RATE_LIMITED', retryAfter: 60 });
    clock.skew += 59_000;
    expect(await visit(browser!, url)).to.include({ status: 503, code: 'ERR_OKTA_REFRESH_UNAVAILABLE' });
    expect(okta.hits.token).to.equal(2);
    okta.behaviour = {};
    clock.skew += 1_000;
    expect(await visit(browser!, url)).to.include({ status: 200 });
    expect(okta.hits.token).to.equal(3);
  });

  const outages: Array<{ name: string; reply: Reply; timeout?: number; cause: string }> = [
    {
      name: '500',
      reply: { status: 500, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } },
      cause: 'ERR_OKTA_RESPONSE',
    },
    { name: 'a dropped connection', reply: { reset: true }, cause: 'ERR_OKTA_REQUEST' },
    { name: 'no answer (timeout)', reply: { hang: true }, timeout: 300, cause: 'ERR_OKTA_REQUEST' },
  ];
  for (const outage of outages) {
    it(`while the token endpoint fails with ${outage.name}: one refresh per user per doubling wait, a clean 503 meanwhile, and back to normal once it works`, async () => {
      const app = await startApp({ expired: true, timeout: outage.timeout });
      const browsers = await app.signIn(20);
      const url = `${app.origin}/fresh`;
      okta.behaviour = { token: outage.reply };

      const first = await rounds(browsers, url, 10); // 200 requests
      expect(okta.hits.token, '1 per user').to.equal(20);
      // Okta's own failure for the request that met it (502, or 504 on a timeout), then 503.
      expect(first.slice(0, 20).map((s) => [s.status, s.code, s.retryAfter])).to.deep.equal(
        Array(20).fill([outage.timeout ? 504 : 502, outage.cause, 5]),
      );
      expect(unavailable(first.slice(20))).to.deep.equal([]);
      expect(first.every((s) => s.retryAfter !== undefined && s.retryAfter <= 5)).to.equal(true);
      expect(first.slice(20).every((s) => s.cause === outage.cause)).to.equal(true);
      expect(await eventually(() => okta.pendingRequests() === 0)).to.equal(true);

      clock.skew += 5_001; // the first wait (5 s) is over: one more try each, which fails and doubles the wait
      await rounds(browsers, url, 5);
      expect(okta.hits.token).to.equal(40);
      clock.skew += 5_001; // within the 10 s wait
      const waiting = await rounds(browsers, url, 5);
      expect(okta.hits.token).to.equal(40);
      expect(waiting.every((s) => s.retryAfter !== undefined && s.retryAfter <= 5)).to.equal(true);

      okta.behaviour = {};
      clock.skew += 5_000;
      const back = await rounds(browsers, url, 3);
      expect(back.map((s) => s.status)).to.deep.equal(Array<number>(60).fill(200));
      expect(okta.hits.token, 'each user refreshed once').to.equal(40 + 20);
      expect(new Set(back.map((s) => s.accessToken)).size).to.equal(20);

      // A success forgets the failures: when the new tokens expire and Okta fails again, the wait is 5 s again.
      clock.skew += 3600_000;
      okta.reset();
      okta.behaviour = { token: outage.reply };
      await rounds(browsers, url, 2);
      expect(okta.hits.token).to.equal(20);
      clock.skew += 5_001;
      await rounds(browsers, url, 1);
      expect(okta.hits.token).to.equal(40);
    });
  }

  it('goes on with a token that is still valid while refreshes back off, without asking Okta', async () => {
    const app = await startApp({ expired: false });
    const browsers = await app.signIn(3);
    okta.behaviour = { token: { status: 502, body: 'Bad Gateway' } };
    const seen = await rounds(browsers, `${app.origin}/fresh`, 10);
    expect(seen.map((s) => s.status)).to.deep.equal(Array<number>(30).fill(200));
    expect(okta.hits.token, 'one try per user').to.equal(3);

    okta.behaviour = { token: { status: 429, headers: { 'retry-after': '10' }, body: rateLimitedBody() } };
    clock.skew += 5_001; // past the 5 s wait: the next refresh meets a 429, which holds off everyone's
    expect((await visit(browsers[0]!, `${app.origin}/other`)).status).to.equal(200);
    const limited = await rounds(browsers, `${app.origin}/other`, 10);
    expect(limited.map((s) => s.status)).to.deep.equal(Array<number>(30).fill(200));
    expect(okta.hits.token).to.equal(4);
  });
});
