import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { ConfigurationError } from '../../lib/core/errors.js';
import { type OktaProfile } from '../../lib/index.js';
import { type OktaRequest } from '../../lib/passport/request.js';
import { CookieBrowser, createTestApp, type Answer } from '../support/hostile-app.js';
import { makeStrategy, sleep } from '../support/hostile-harness.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { request, run } from '../support/passport.js';
import { listen, type Listening } from '../support/server.js';

/** The browser's whole sign-in: `/login` on the app, Okta's `/authorize`, then the callback. */
async function signInThrough(browser: CookieBrowser, okta: HostileOkta, loginURL: string): Promise<Answer> {
  const start = await browser.get(loginURL);
  expect(start.status, start.body).to.equal(302);
  const callback = await okta.authorize(start.location!);
  return browser.get(callback);
}

describe('hardening: a request never ends the process', () => {
  let child: ChildProcessWithoutNullStreams;
  let origins: { app: string; okta: string };
  let stderr = '';
  let exited: number | null | undefined;

  before(async function () {
    this.timeout(60_000);
    const tsx = require.resolve('tsx/cli');
    child = spawn(process.execPath, [tsx, join(__dirname, '..', 'support', 'crash-app.ts')], { stdio: 'pipe' });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => (exited = code));
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    origins = JSON.parse(line.toString()) as { app: string; okta: string };
  });
  after(async () => {
    if (exited === undefined) {
      child.kill();
      await once(child, 'exit');
    }
  });

  async function stillServing(): Promise<void> {
    const health = await new CookieBrowser().get(`${origins.app}/health`);
    expect(health.body).to.equal('alive');
    expect(exited, stderr).to.equal(undefined);
  }

  it('survives a custom callback that throws, answers 500 and logs the exception once', async () => {
    const answer = await new CookieBrowser().get(`${origins.app}/custom?code=x`);
    expect(answer.status).to.equal(500);
    await stillServing();
    expect(stderr.match(/an exception was thrown after the sign-in outcome/g)).to.have.length(1);
    expect(stderr).to.contain("Cannot read properties of undefined (reading 'first')");
  });

  it('survives a failureRedirect that comes after a timeout middleware already answered', async () => {
    const before = stderr.match(/an exception was thrown after/g)?.length ?? 0;
    const browser = new CookieBrowser();
    const start = await browser.get(`${origins.app}/login`);
    const callback = await fetch(start.location!, { redirect: 'manual' });
    const answer = await browser.get(callback.headers.get('location')!);
    expect(answer.status).to.equal(503);
    // The sign-in is refused 300 ms later, once the token endpoint answers.
    await sleep(600);
    await stillServing();
    expect(stderr.match(/an exception was thrown after/g)).to.have.length(before + 1);
    expect(stderr).to.contain('ERR_HTTP_HEADERS_SENT');
  });
});

describe('hardening: no mix-up between authorization servers sharing a callback', () => {
  let honest: HostileOkta;
  let hostile: HostileOkta;
  before(async () => {
    honest = await HostileOkta.start({ authServerId: 'default' });
    hostile = await HostileOkta.start({ authServerId: 'default' });
  });
  beforeEach(() => {
    honest.reset();
    hostile.reset();
  });
  after(async () => {
    await honest.close();
    await hostile.close();
  });

  /**
   * A multi-tenant app: `/login/:tenant` signs in with that tenant's Okta; the shared
   * callback finishes with the tenant remembered in the session, as such apps do.
   */
  async function tenantApp(options: { sharedCallback: boolean; requireIss?: boolean }): Promise<Listening> {
    const passport = new Passport();
    const callbackFor = (tenant: string): string => (options.sharedCallback ? '/callback' : `/callback/${tenant}`);
    for (const [tenant, okta] of [
      ['acme', honest],
      ['evil', hostile],
    ] as const) {
      passport.use(makeStrategy(okta, { name: tenant, callbackURL: callbackFor(tenant), requireIss: options.requireIss }));
    }
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'tenant-app-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.get('/login/:tenant', (req, res, next) => {
      (req.session as { tenant?: string }).tenant = req.params.tenant;
      passport.authenticate(req.params.tenant)(req, res, next);
    });
    const finish: express.RequestHandler = (req, res, next) => {
      const tenant = (req.params as { tenant?: string }).tenant ?? (req.session as { tenant?: string }).tenant ?? 'acme';
      passport.authenticate(tenant, { failureRedirect: '/failed', keepSessionInfo: true })(req, res, next);
    };
    app.get('/callback', finish, (req, res) => res.json(req.user));
    app.get('/callback/:tenant', finish, (req, res) => res.json(req.user));
    app.use(((err, _req, res, _next) => {
      void _next;
      res.status(500).json({ code: (err as { code?: string }).code, message: (err as Error).message });
    }) as express.ErrorRequestHandler);
    return listen(app);
  }

  it("never sends the honest server's code to the other server's token endpoint", async () => {
    const app = await tenantApp({ sharedCallback: true });
    try {
      // The setup is refused from the first request on, whichever strategy serves it first:
      // the check reads Passport's registry, not which strategies served requests so far.
      const victim = new CookieBrowser();
      const start = await victim.get(`${app.origin}/login/evil`);
      expect(start.status).to.equal(500);
      expect(JSON.parse(start.body)).to.include({ code: 'ERR_OKTA_CONFIGURATION' });
      expect(JSON.parse(start.body).message).to.match(/same callback path.*mix-up/);
      const honestStart = await new CookieBrowser().get(`${app.origin}/login/acme`);
      expect(honestStart.status).to.equal(500);

      // Even with an authorization URL made before the setup was refused, the callback is refused.
      const forged = new URL(`${honest.base}/authorize`);
      forged.search = new URLSearchParams({
        client_id: '0oa-hostile-client',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: `${app.origin}/callback`,
        state: 'victim-state',
        nonce: 'n',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }).toString();
      const callback = await victim.get(await honest.authorize(forged));
      expect(callback.status).to.equal(500);
      expect(JSON.parse(callback.body)).to.include({ code: 'ERR_OKTA_CONFIGURATION' });
      expect(hostile.hits.token, "a code reached the hostile server's token endpoint").to.equal(0);
    } finally {
      await app.close();
    }
  });

  it('tells sibling strategies apart by the authenticator @fastify/passport puts on the request', async () => {
    const acme = makeStrategy(honest, { name: 'acme', callbackURL: '/shared' });
    const evil = makeStrategy(hostile, { name: 'evil', callbackURL: '/shared' });
    const authenticator = { strategies: { acme, evil } };
    const fastifyRequest = (): OktaRequest => Object.assign(request({ url: '/login', session: {} }), { passport: authenticator });
    for (const strategy of [acme, evil]) {
      const outcome = await run(strategy, fastifyRequest());
      expect(outcome.kind).to.equal('error');
      expect((outcome as { error: Error }).error).to.be.instanceOf(ConfigurationError);
    }
    // Another app's authenticator is another set of strategies.
    const elsewhere = Object.assign(request({ url: '/login', session: {} }), { passport: { strategies: { evil } } });
    expect((await run(evil, elsewhere)).kind).to.equal('redirect');
  });

  it('signs in with both servers when each has its own callback', async () => {
    const app = await tenantApp({ sharedCallback: false });
    try {
      for (const [tenant, okta] of [
        ['acme', honest],
        ['evil', hostile],
      ] as const) {
        const answer = await signInThrough(new CookieBrowser(), okta, `${app.origin}/login/${tenant}`);
        expect(answer.status, answer.body).to.equal(200);
        expect((JSON.parse(answer.body) as { profile: OktaProfile }).profile.issuer).to.equal(okta.issuer);
      }
    } finally {
      await app.close();
    }
  });

  it('lets servers share a callback when both strategies require iss, and refuses a callback without it', async () => {
    const app = await tenantApp({ sharedCallback: true, requireIss: true });
    try {
      honest.behaviour = { authorizationIss: honest.issuer };
      hostile.behaviour = { authorizationIss: hostile.issuer };
      for (const [tenant, okta] of [
        ['acme', honest],
        ['evil', hostile],
      ] as const) {
        const answer = await signInThrough(new CookieBrowser(), okta, `${app.origin}/login/${tenant}`);
        expect(answer.status, answer.body).to.equal(200);
      }
      honest.reset();
      const browser = new CookieBrowser();
      const refused = await signInThrough(browser, honest, `${app.origin}/login/acme`);
      expect(refused.status).to.equal(302);
      expect(refused.location).to.equal('/failed');
      expect(honest.hits.token).to.equal(0);
    } finally {
      await app.close();
    }
  });
});

describe('hardening: userinfo only adds to the verified ID token claims', () => {
  let okta: HostileOkta;
  let app: Listening;
  before(async () => {
    okta = await HostileOkta.start();
    const strategy = makeStrategy(okta, { scope: ['openid', 'profile', 'email'], userInfo: true });
    app = await listen(createTestApp(strategy).app);
  });
  after(async () => {
    await app.close();
    await okta.close();
  });

  it('keeps iss, aud, azp, exp, iat, nonce, auth_time, acr, amr and email of the ID token', async () => {
    const forged = {
      iss: 'https://evil.example',
      aud: 'someone-else',
      azp: 'someone-else',
      exp: 1,
      iat: 1,
      nonce: 'forged-nonce',
      auth_time: 1,
      acr: 'urn:forged',
      amr: ['forged'],
      email: 'mallory@evil.example',
      nickname: 'only-in-userinfo',
    };
    okta.behaviour = { userinfoClaims: forged };
    const browser = new CookieBrowser();
    const start = await browser.get(`${app.origin}/login?user=alice`);
    await browser.get(await okta.authorize(start.location!));
    const me = JSON.parse((await browser.get(`${app.origin}/me`)).body) as { user: { profile: OktaProfile } };
    const { profile } = me.user;
    const verified = JSON.parse(Buffer.from(okta.lastIdToken!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    for (const claim of ['iss', 'aud', 'azp', 'exp', 'iat', 'nonce', 'auth_time', 'acr', 'amr', 'email']) {
      expect(profile._json[claim], claim).to.deep.equal(verified[claim]);
    }
    expect(profile.issuer).to.equal(okta.issuer);
    expect(profile.emails?.[0]?.value).to.equal('alice@example.com');
    expect(profile._json.nickname).to.equal('only-in-userinfo');
    expect(profile.name?.givenName).to.equal('User');
  });
});
