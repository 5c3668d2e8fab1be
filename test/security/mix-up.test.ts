import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import type { OktaProfile, OktaStrategyOptions } from '../../lib/index.js';
import { CookieBrowser, type Answer } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { CLIENT_ID, HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

// Issue 18, finding 1: a mix-up attack (RFC 9700 §4.4) in a bring-your-own-Okta app. The
// attacker runs Okta A; the victim picks A; A sends the victim on to the honest Okta H with
// the victim's state and the attacker's PKCE challenge; H issues a code (no iss, as Okta
// does); the app finishes the sign-in with the strategy the user picked (A's), whose token
// endpoint would receive H's code. Whatever the names and spellings of the registration,
// the code must never reach A.

interface Tenant {
  /** Name given to passport.use(). */
  name: string;
  okta: HostileOkta;
  options: Partial<OktaStrategyOptions>;
}

describe('mix-up defence: a pending login finishes only at its own callback, by its own issuer', () => {
  let honest: HostileOkta;
  let attacker: HostileOkta;
  before(async () => {
    honest = await HostileOkta.start({ authServerId: 'default' });
    attacker = await HostileOkta.start({ authServerId: 'default' });
  });
  beforeEach(() => {
    honest.reset();
    attacker.reset();
  });
  after(async () => {
    await honest.close();
    await attacker.close();
  });

  /**
   * `/login/:tenant` remembers the tenant the user picked and signs in with it; every
   * callback route finishes with the tenant in the session (what such apps do).
   */
  async function tenantApp(tenants: Tenant[], options: { initialize?: boolean; routes?: string[] } = {}): Promise<Listening> {
    const passport = new Passport();
    for (const tenant of tenants) passport.use(tenant.name, makeStrategy(tenant.okta, tenant.options));
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'mix-up-test-secret', resave: false, saveUninitialized: false }));
    if (options.initialize !== false) app.use(passport.initialize());
    app.use(passport.session());
    app.get('/login/:tenant', (req, res, next) => {
      (req.session as { tenant?: string }).tenant = req.params.tenant;
      passport.authenticate(req.params.tenant)(req, res, next);
    });
    const finish: express.RequestHandler = (req, res, next) => {
      const picked = (req.session as { tenant?: string }).tenant ?? tenants[0]!.name;
      passport.authenticate(picked, { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true })(req, res, next);
    };
    const paths = options.routes ?? tenants.map((t) => new URL(String(t.options.callbackURL), 'http://x').pathname);
    for (const path of new Set(paths)) {
      app.get(path, finish, (req, res) => res.json(req.user));
    }
    app.get('/failed', (req, res) => res.status(403).json({ messages: (req.session as { messages?: string[] }).messages }));
    app.use(((err, _req, res, _next) => {
      void _next;
      res.status(500).json({ code: (err as { code?: string }).code, message: (err as Error).message });
    }) as express.ErrorRequestHandler);
    return listen(app);
  }

  /**
   * The attack: the victim starts a sign-in with the attacker's tenant; the attacker's
   * /authorize sends the browser to the honest server with the victim's state, the honest
   * client's redirect URI `honestCallback`, and a PKCE challenge of the attacker's own.
   */
  async function attack(app: Listening, honestCallback: string, picked = 'evil'): Promise<Answer> {
    const victim = new CookieBrowser();
    const start = await victim.get(`${app.origin}/login/${picked}`);
    if (start.status !== 302) return start;
    const state = new URL(start.location!).searchParams.get('state')!;
    const forged = new URL(`${honest.base}/authorize`);
    forged.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: new URL(honestCallback, app.origin).href,
      state,
      nonce: 'attacker-nonce',
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    return victim.get(await honest.authorize(forged));
  }

  const profileOf = (answer: Answer): OktaProfile => (JSON.parse(answer.body) as { profile: OktaProfile }).profile;

  it("(a) distinct callbacks: refuses the honest server's code at the attacker's strategy, before any token call", async () => {
    const app = await tenantApp([
      { name: 'acme', okta: honest, options: { name: 'acme', callbackURL: '/callback/acme' } },
      { name: 'evil', okta: attacker, options: { name: 'evil', callbackURL: '/callback/evil' } },
    ]);
    try {
      const answer = await attack(app, '/callback/acme');
      expect(answer.status, answer.body).to.equal(302);
      expect(answer.location).to.equal('/failed');
      expect(attacker.hits.token, "the honest code reached the attacker's token endpoint").to.equal(0);
      expect(honest.hits.token).to.equal(0);
      const failed = await new CookieBrowser().get(`${app.origin}/failed`);
      expect(failed.status).to.equal(403);

      // Each tenant still signs in at its own callback.
      for (const [tenant, okta] of [
        ['acme', honest],
        ['evil', attacker],
      ] as const) {
        const browser = new CookieBrowser();
        const start = await browser.get(`${app.origin}/login/${tenant}`);
        const done = await browser.get(await okta.authorize(start.location!));
        expect(done.status, done.body).to.equal(200);
        expect(profileOf(done).issuer).to.equal(okta.issuer);
      }
    } finally {
      await app.close();
    }
  });

  it('(a) names both callbacks in the failure', async () => {
    const app = await tenantApp([
      { name: 'acme', okta: honest, options: { name: 'acme', callbackURL: '/callback/acme' } },
      { name: 'evil', okta: attacker, options: { name: 'evil', callbackURL: '/callback/evil' } },
    ]);
    try {
      const victim = new CookieBrowser();
      const start = await victim.get(`${app.origin}/login/evil`);
      const state = new URL(start.location!).searchParams.get('state')!;
      const answer = await victim.get(`${app.origin}/callback/acme?code=stolen&state=${state}`);
      expect(answer.location).to.equal('/failed');
      const { messages } = JSON.parse((await victim.get(`${app.origin}/failed`)).body) as { messages: string[] };
      expect(messages.at(-1)).to.match(/arrived at \/callback\/acme.*started for the callback \/callback\/evil/);
    } finally {
      await app.close();
    }
  });

  it('(a) puts back the path prefix a trusted proxy stripped (X-Forwarded-Prefix) before comparing', async () => {
    const publicCallback = 'https://public.example/app/callback/acme';
    const app = await tenantApp([{ name: 'acme', okta: honest, options: { callbackURL: publicCallback, trustProxy: true } }], {
      routes: ['/callback/acme'],
    });
    try {
      for (const prefix of [undefined, '/app']) {
        const browser = new CookieBrowser();
        const start = await browser.get(`${app.origin}/login/acme`);
        const callback = await honest.authorize(start.location!);
        expect(callback.href.startsWith(publicCallback)).to.equal(true);
        const headers: Record<string, string> = prefix === undefined ? {} : { 'x-forwarded-prefix': prefix };
        const done = await browser.get(`${app.origin}/callback/acme${callback.search}`, headers);
        if (prefix === undefined) expect(done.location).to.equal('/failed');
        else expect(done.status, done.body).to.equal(200);
      }
    } finally {
      await app.close();
    }
  });

  for (const [label, spelling] of [
    ['an absolute URL and a path', (origin: string) => `${origin}/callback`],
    ['different case', () => '/Callback'],
    ['a trailing slash', () => '/callback/'],
    ['a default port', () => 'http://app.example:80/callback'],
  ] as const) {
    it(`(b) refuses at setup one callback written two ways (${label}), from the first request on`, async () => {
      // The app's origin is only known once it listens: the second spelling is made then.
      let app: Listening | undefined;
      const evil: Tenant = { name: 'evil', okta: attacker, options: { name: 'evil', callbackURL: '/callback' } };
      const acme: Tenant = { name: 'acme', okta: honest, options: { name: 'acme', callbackURL: '/callback' } };
      const probe = await listen(express());
      const origin = probe.origin;
      await probe.close();
      acme.options.callbackURL = spelling(origin);
      try {
        app = await tenantApp([evil, acme]);
        const answer = await attack(app, '/callback');
        expect(answer.status, answer.body).to.equal(500);
        expect(JSON.parse(answer.body)).to.include({ code: 'ERR_OKTA_CONFIGURATION' });
        expect(JSON.parse(answer.body).message).to.match(/same callback path \/callback .*mix-up/);
        const honestStart = await new CookieBrowser().get(`${app.origin}/login/acme`);
        expect(honestStart.status).to.equal(500);
        expect(attacker.hits.token + attacker.hits.authorize).to.equal(0);
      } finally {
        await app?.close();
      }
    });
  }

  it('(c) refuses at setup two strategies registered under two names with one internal name, whichever serves first', async () => {
    for (const order of [
      ['tenant-a', 'tenant-b'],
      ['tenant-b', 'tenant-a'],
    ]) {
      const app = await tenantApp([
        { name: 'tenant-a', okta: honest, options: { callbackURL: '/callback' } },
        { name: 'tenant-b', okta: attacker, options: { callbackURL: '/callback' } },
      ]);
      try {
        for (const tenant of order) {
          const start = await new CookieBrowser().get(`${app.origin}/login/${tenant}`);
          expect(start.status, `${order.join(' then ')}: ${tenant}`).to.equal(500);
          expect(JSON.parse(start.body).message).to.match(/Strategies "okta" and "okta" .*mix-up/);
        }
      } finally {
        await app.close();
      }
    }
    expect(attacker.hits.authorize + attacker.hits.token + honest.hits.token).to.equal(0);
  });

  it('(c) with their own callbacks, both sign in and neither can finish the other', async () => {
    const app = await tenantApp([
      { name: 'tenant-a', okta: honest, options: { callbackURL: '/callback/a' } },
      { name: 'tenant-b', okta: attacker, options: { callbackURL: '/callback/b' } },
    ]);
    try {
      for (const [tenant, okta] of [
        ['tenant-a', honest],
        ['tenant-b', attacker],
      ] as const) {
        const browser = new CookieBrowser();
        const start = await browser.get(`${app.origin}/login/${tenant}`);
        const done = await browser.get(await okta.authorize(start.location!));
        expect(done.status, done.body).to.equal(200);
        expect(profileOf(done).issuer).to.equal(okta.issuer);
      }
      honest.reset();
      attacker.reset();
      const refused = await attack(app, '/callback/a', 'tenant-b');
      expect(refused.location).to.equal('/failed');
      expect(attacker.hits.token + honest.hits.token).to.equal(0);
    } finally {
      await app.close();
    }
  });

  it('without passport.initialize() (passport >= 0.6), refuses a shared callback whichever strategy serves first', async () => {
    // A path no other test uses: strategies made elsewhere in this process count as siblings
    // until they serve a Passport instance of their own.
    for (const first of ['evil', 'acme']) {
      const app = await tenantApp(
        [
          { name: 'acme', okta: honest, options: { name: 'acme', callbackURL: '/no-registry/callback' } },
          { name: 'evil', okta: attacker, options: { name: 'evil', callbackURL: '/no-registry/callback' } },
        ],
        { initialize: false },
      );
      try {
        const start = await new CookieBrowser().get(`${app.origin}/login/${first}`);
        expect(start.status, first).to.equal(500);
        expect(JSON.parse(start.body).message).to.match(/mix-up.*passport\.initialize\(\)/);
      } finally {
        await app.close();
      }
    }
    expect(attacker.hits.authorize + attacker.hits.token).to.equal(0);
  });

  it('without passport.initialize(), signs in when each strategy has its own callback', async () => {
    const app = await tenantApp(
      [
        { name: 'acme', okta: honest, options: { name: 'acme', callbackURL: '/own/acme' } },
        { name: 'evil', okta: attacker, options: { name: 'evil', callbackURL: '/own/evil' } },
      ],
      { initialize: false },
    );
    try {
      const browser = new CookieBrowser();
      const start = await browser.get(`${app.origin}/login/acme`);
      const done = await browser.get(await honest.authorize(start.location!));
      expect(done.status, done.body).to.equal(200);
    } finally {
      await app.close();
    }
  });
});
