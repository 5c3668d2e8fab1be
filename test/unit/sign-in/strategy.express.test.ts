import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import nock from 'nock';
import { Passport } from 'passport';
import { OktaStrategy, type OktaProfile } from '../../../lib/index.js';
import { ScriptedBrowser } from '../../support/browser.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, FakeOkta } from '../../support/okta-mock.js';
import { listen, type Listening } from '../../support/server.js';

/** The README's quick start, with Okta's endpoints mocked by nock. */
function makeApp(): express.Express {
  const passport = new Passport();
  passport.use(
    new OktaStrategy(
      {
        oktaDomain: DOMAIN,
        authServerId: 'default',
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        callbackURL: '/auth/okta/callback',
        scope: ['openid', 'profile', 'email'],
        userInfo: false,
      },
      async (_tokens, profile: OktaProfile) => ({ id: profile.id, name: profile.displayName }),
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get('/login', passport.authenticate('okta'));
  app.get(
    '/auth/okta/callback',
    passport.authenticate('okta', { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true }),
    (_req, res) => res.redirect('/me'),
  );
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as { messages?: string[] }).messages ?? [] });
  });
  return app;
}

describe('OktaStrategy inside Express 5 + express-session + Passport', () => {
  let okta: FakeOkta;
  let server: Listening;

  beforeEach(async () => {
    okta = await FakeOkta.create();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    server = await listen(makeApp());
  });
  afterEach(async () => {
    await server.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function startSignIn(browser: ScriptedBrowser): Promise<{ state: string; nonce: string; redirectURI: string }> {
    const page = await browser.request(`${server.origin}/login`, { method: 'GET' });
    expect(page.status).to.equal(302);
    const location = new URL(page.headers.get('location')!);
    expect(location.origin + location.pathname).to.equal(`${okta.issuer}/v1/authorize`);
    return {
      state: location.searchParams.get('state')!,
      nonce: location.searchParams.get('nonce')!,
      redirectURI: location.searchParams.get('redirect_uri')!,
    };
  }

  it('signs a user in through real Passport and keeps them in the session', async () => {
    const browser = new ScriptedBrowser();
    const { state, nonce, redirectURI } = await startSignIn(browser);
    expect(redirectURI).to.equal(`${server.origin}/auth/okta/callback`);
    okta.mockKeys();
    okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(200, okta.tokenBody(await okta.sign(okta.claims(nonce))));
    const page = await browser.get(`${redirectURI}?code=abc&state=${state}`);
    expect(page.status).to.equal(200);
    expect(JSON.parse(page.body)).to.deep.equal({ user: { id: '00u1alice', name: 'Alice Example' } });
  });

  it('redirects to the failure route with a message on a forged state, and sends nothing to Okta', async () => {
    const browser = new ScriptedBrowser();
    await startSignIn(browser);
    const token = okta.scope().post(`${okta.path}/token`).reply(200, {});
    const page = await browser.get(`${server.origin}/auth/okta/callback?code=abc&state=forged`);
    expect(page.status).to.equal(401);
    expect(JSON.parse(page.body).messages[0]).to.match(/state/);
    expect(token.isDone()).to.equal(false);
  });

  it('lets a second tab finish after the first signed in (keepSessionInfo keeps pending logins)', async () => {
    const browser = new ScriptedBrowser();
    const tab1 = await startSignIn(browser);
    const tab2 = await startSignIn(browser);
    okta.mockKeys();
    okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(200, okta.tokenBody(await okta.sign(okta.claims(tab1.nonce))));
    okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(200, okta.tokenBody(await okta.sign(okta.claims(tab2.nonce))));
    expect((await browser.get(`${tab1.redirectURI}?code=c1&state=${tab1.state}`)).status).to.equal(200);
    const second = await browser.get(`${tab2.redirectURI}?code=c2&state=${tab2.state}`);
    expect(JSON.parse(second.body).user.id).to.equal('00u1alice');
  });
});
