import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import type { OktaStrategyOptions, VerifyFunction } from '../../lib/index.js';
import { CookieBrowser, type Answer } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

/**
 * Strategy behaviour an app meets over HTTP: which requests are callbacks, the forms a
 * verify function takes, and which host a path callbackURL is resolved against.
 */
describe('OktaStrategy in an Express app', () => {
  let okta: HostileOkta;
  before(async () => {
    okta = await HostileOkta.start();
  });
  after(() => okta.close());

  async function appWith(options: Partial<OktaStrategyOptions>, verify?: VerifyFunction): Promise<Listening> {
    const passport = new Passport();
    passport.use(makeStrategy(okta, options, verify));
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'strategy-http-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    // No body parser on the sign-in form's route: nothing there is a callback.
    app.post('/login', passport.authenticate('okta'));
    app.get('/login', passport.authenticate('okta'));
    const finish = passport.authenticate('okta', { failureRedirect: '/failed', keepSessionInfo: true });
    const show: express.RequestHandler = (req, res) => {
      res.json(req.user);
    };
    app.get('/auth/okta/callback', finish, show);
    app.post('/auth/okta/callback', express.urlencoded({ extended: false }), finish, show);
    app.use(((err: Error, _req, res, _next) => {
      void _next;
      res.status(500).json({ name: err.name, message: err.message });
    }) as express.ErrorRequestHandler);
    return listen(app);
  }

  async function signIn(app: Listening, formPost = false): Promise<Answer> {
    const browser = new CookieBrowser();
    const start = await browser.get(`${app.origin}/login`);
    expect(start.status, start.body).to.equal(302);
    if (!formPost) return browser.get(await okta.authorize(start.location!));
    const back = await okta.authorize(start.location!);
    return browser.post(`${back.origin}${back.pathname}`, back.searchParams.toString());
  }

  for (const responseMode of ['query', 'form_post'] as const) {
    it(`starts a sign-in on a POST to a route other than the callback (${responseMode}, no body parser)`, async () => {
      const app = await appWith({ responseMode });
      try {
        const answer = await new CookieBrowser().post(`${app.origin}/login`, 'username=alice');
        expect(answer.status, answer.body).to.equal(302);
        expect(new URL(answer.location!).pathname).to.equal(new URL(`${okta.base}/authorize`).pathname);
      } finally {
        await app.close();
      }
    });
  }

  describe('the verify function decides by what it does, not by how many parameters it declares', () => {
    const cases: Array<[string, VerifyFunction]> = [
      ['an async function that declares done but returns the user', async (_t, profile, done) => (void done, { id: profile.id })],
      [
        'a (...args) wrapper that calls done later',
        (...args: Parameters<VerifyFunction>) => {
          setTimeout(() => args[2](null, { id: args[1].id }), 20);
        },
      ],
      ['an async function without done', async (_t, profile) => ({ id: profile.id })],
      ['a plain function that calls done', (_t, profile, done) => done(null, { id: profile.id })],
    ];
    for (const [form, verify] of cases) {
      it(`signs in with ${form}`, async () => {
        const app = await appWith({}, verify);
        try {
          const answer = await signIn(app);
          expect(answer.status, answer.body).to.equal(200);
          expect(JSON.parse(answer.body)).to.deep.equal({ id: '00ualice' });
        } finally {
          await app.close();
        }
      });
    }

    it('ends in a clear error when the function neither calls done nor resolves to a user', async () => {
      const app = await appWith({ verifyTimeout: 200 }, (() => undefined) as unknown as VerifyFunction);
      try {
        const answer = await signIn(app);
        expect(answer.status).to.equal(500);
        expect(JSON.parse(answer.body).message).to.match(/neither called done nor resolved to a user within 200 ms/);
      } finally {
        await app.close();
      }
    });

    it('refuses the user when an async function without done resolves to nothing', async () => {
      const app = await appWith({}, async () => undefined);
      try {
        const answer = await signIn(app);
        expect(answer.status).to.equal(302);
        expect(answer.location).to.equal('/failed');
      } finally {
        await app.close();
      }
    });
  });

  describe('resolving a path callbackURL', () => {
    const redirectURIOf = (answer: Answer): string | null => new URL(answer.location!).searchParams.get('redirect_uri');

    it('refuses a host that allowedHosts does not list, with 400', async () => {
      const app = await appWith({ allowedHosts: ['app.example.com'] });
      try {
        const refused = await new CookieBrowser().get(`${app.origin}/login`, { host: 'evil.example' });
        expect(refused.status).to.equal(400);
        const allowed = await new CookieBrowser().get(`${app.origin}/login`, { host: 'App.Example.com' });
        expect(allowed.status).to.equal(302);
        expect(redirectURIOf(allowed)).to.equal('http://app.example.com/auth/okta/callback');
      } finally {
        await app.close();
      }
    });

    it('uses X-Forwarded-Proto and -Host only with trustProxy', async () => {
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com, proxy.internal' };
      for (const [trustProxy, expected] of [
        [true, 'https://app.example.com/auth/okta/callback'],
        [false, undefined],
      ] as const) {
        const app = await appWith({ trustProxy });
        try {
          const answer = await new CookieBrowser().get(`${app.origin}/login`, forwarded);
          expect(redirectURIOf(answer)).to.equal(expected ?? `${app.origin}/auth/okta/callback`);
        } finally {
          await app.close();
        }
      }
    });
  });
});
