import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { keepTokensFresh, oktaSession, type OktaTokens, type StoredTokens } from '../../lib/index.js';
import { CookieBrowser } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

// A session that a logout Okta started (here okta.revoke(), which writes the same record as
// the receivers) ends before keepTokensFresh can refresh its tokens: no refresh request
// reaches Okta, and the refresh token the app kept is revoked there. Over real HTTP.

interface KeptUser {
  id: string;
  tokens: StoredTokens;
}

describe('a revoked session is not refreshed (oktaSession + keepTokensFresh, over real HTTP)', () => {
  let okta: HostileOkta;
  let server: Listening;
  let revoke: (sub: string) => Promise<void>;

  before(async () => {
    okta = await HostileOkta.start();
    const strategy = makeStrategy(
      okta,
      { scope: ['openid', 'offline_access'] },
      async (tokens: OktaTokens, profile): Promise<KeptUser> => ({
        id: profile.id,
        tokens: { ...tokens, accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString() },
      }),
    );
    const passport = new Passport();
    passport.use(strategy);
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const kept = (req: express.Request): KeptUser | undefined => req.user as KeptUser | undefined;
    const around = oktaSession(passport, strategy, { getTokens: (req) => kept(req as express.Request)?.tokens });
    revoke = (sub) => around.revoke({ kind: 'subject', iss: strategy.client.issuer, sub });

    const app = express();
    app.use(session({ secret: 'revoked-refresh-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize(), passport.session());
    app.use(around.checkSession());
    app.use(
      keepTokensFresh<express.Request>(strategy, {
        getTokens: (req) => kept(req)?.tokens,
        setTokens: (req, tokens) => {
          kept(req)!.tokens = tokens;
        },
        refreshBefore: 24 * 3600_000, // every request finds the token due
      }) as unknown as express.RequestHandler,
    );
    app.get('/login', around.signIn());
    app.get('/auth/okta/callback', around.callback);
    app.get('/me', (req, res) => res.json({ user: kept(req)?.id ?? null }));
    server = await listen(app);
  });
  after(async () => {
    await server?.close();
    await okta?.close();
  });

  it('refreshes a live session, and after a revocation ends it without a refresh, revoking its refresh token', async () => {
    const browser = new CookieBrowser();
    const login = await browser.get(`${server.origin}/login?user=alice`);
    const callback = await browser.get(await okta.authorize(login.location!));
    expect(callback.status, callback.body).to.equal(302);

    const before = { ...okta.hits };
    const live = await browser.get(`${server.origin}/me`, {});
    expect(JSON.parse(live.body)).to.deep.equal({ user: '00ualice' });
    expect(okta.hits.token - before.token, 'a live session is refreshed').to.equal(1);

    await revoke('00ualice');
    const after = { ...okta.hits };
    const ended = await browser.get(`${server.origin}/me`, {});
    expect(JSON.parse(ended.body)).to.deep.equal({ user: null });
    expect(okta.hits.token - after.token, 'no refresh for a revoked session').to.equal(0);
    expect(okta.hits.revoke - after.revoke, 'its refresh token revoked at Okta').to.equal(1);
  });
});
