import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { backChannelLogoutReceiver } from '../../lib/app/backchannel-logout.js';
import { frontChannelLogoutReceiver } from '../../lib/app/frontchannel-logout.js';
import { MemoryRevocationStore, Revocations } from '../../lib/app/revocation.js';
import { recordOf, type SignInRecord } from '../../lib/app/session-record.js';
import { universalLogoutReceiver } from '../../lib/app/universal-logout.js';
import { OktaStrategy } from '../../lib/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// The three receivers in an Express app, told by the local provider what real Okta tells an
// app (Universal Logout) and what an OpenID provider does on sign-out (back-channel and
// front-channel logout), over real HTTP. Each test signs users in through the app, then
// checks with the revocation record which of their sessions are over.

const APPS = {
  main: { clientId: 'receiver-app', clientSecret: 'receiver-app-secret-0123456789' },
  frames: { clientId: 'frame-app', clientSecret: 'frame-app-secret-0123456789' },
  other: { clientId: 'other-app', clientSecret: 'other-app-secret-0123456789' },
} as const;
type AppName = keyof typeof APPS;
const user = (name: string): DemoUser => DEMO_USERS.find((candidate) => candidate.username.startsWith(name))!;

interface SignedIn {
  claims: Record<string, unknown>;
  idToken: string;
}

describe('logout receivers told by the local provider (example/local-okta)', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let front: Slot;
  let revocations: Revocations;

  before(async () => {
    front = await openSlot();
    const origin = front.origin;
    const client = (name: AppName, extra: object = {}) => ({
      ...APPS[name],
      redirectUris: [`${origin}/auth/${name}/callback`],
      postLogoutRedirectUris: [`${origin}/signed-out`],
      ...extra,
    });
    okta = await startLocalOkta({
      clients: [
        client('main', {
          backchannelLogoutUri: `${origin}/auth/okta/backchannel-logout`,
          universalLogoutUri: `${origin}/auth/okta/universal-logout`,
        }),
        client('frames', { frontchannelLogoutUri: `${origin}/auth/okta/frontchannel-logout` }),
        client('other'),
      ],
    });
    revocations = new Revocations({
      store: new MemoryRevocationStore(),
      keepFor: 3_600_000,
      cacheFor: 0,
      timeout: 1000,
      now: Date.now,
    });

    const passport = new Passport();
    const strategies = {} as Record<AppName, OktaStrategy>;
    for (const name of Object.keys(APPS) as AppName[]) {
      strategies[name] = new OktaStrategy(
        {
          name,
          oktaDomain: okta.origin,
          authServerId: 'default',
          ...{ clientID: APPS[name].clientId, clientSecret: APPS[name].clientSecret },
          callbackURL: `${origin}/auth/${name}/callback`,
          scope: ['openid', 'email'],
          userInfo: false,
        },
        async (tokens, profile): Promise<SignedIn> => ({ claims: profile._json, idToken: tokens.idToken }),
      );
      passport.use(strategies[name]);
    }
    passport.serializeUser((signedIn, done) => done(null, signedIn));
    passport.deserializeUser((signedIn: Express.User, done) => done(null, signedIn));

    const app = express();
    app.use(session({ secret: 'receivers-e2e-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize(), passport.session());
    for (const name of Object.keys(APPS) as AppName[]) {
      app.get(`/login/${name}`, passport.authenticate(name));
      app.get(`/auth/${name}/callback`, passport.authenticate(name, { keepSessionInfo: true }), (req, res) => res.json(req.user));
    }
    app.get('/signed-out', (_req, res) => res.send('signed out'));
    const endpoint = `${origin}/auth/okta/universal-logout`;
    app.post('/auth/okta/universal-logout', universalLogoutReceiver(revocations, strategies.main, { endpoint }));
    app.post(
      '/auth/okta/universal-logout/custom-server',
      universalLogoutReceiver(revocations, strategies.main, {
        endpoint: `${endpoint}/custom-server`,
        issuer: okta.issuer('default'),
      }),
    );
    app.post('/auth/okta/backchannel-logout', backChannelLogoutReceiver(revocations, strategies.main));
    app.get('/auth/okta/frontchannel-logout', frontChannelLogoutReceiver(revocations, strategies.frames));
    front.serve(app);
  });
  after(async () => {
    await okta?.close();
    await front?.close();
  });

  /** Signs `who` in to `app` in `browser` (with its Okta session when it has one); the session's record. */
  async function signedIn(
    browser: ScriptedBrowser,
    who: DemoUser,
    app: AppName = 'main',
  ): Promise<SignedIn & { record: SignInRecord }> {
    const page = await signIn(browser, `${front.origin}/login/${app}`, who);
    expect(page.status, page.body).to.equal(200);
    const result = JSON.parse(page.body) as SignedIn;
    expect(result.claims.sid, 'the ID token names the Okta session').to.be.a('string');
    return { ...result, record: recordOf(result.claims, Date.now()) };
  }

  const revoked = (...records: SignInRecord[]) => Promise.all(records.map((record) => revocations.isRevoked(record)));

  it("Universal Logout by email ends every session of the user, and nobody else's", async () => {
    const [aliceA, aliceB, bob] = [
      await signedIn(new ScriptedBrowser(), user('alice')),
      await signedIn(new ScriptedBrowser(), user('alice')),
      await signedIn(new ScriptedBrowser(), user('bob')),
    ];
    const results = await okta.universalLogout({ user: 'alice@example.com', clientId: APPS.main.clientId });
    expect(results.map((result) => result.status)).to.deep.equal([204]);
    expect(await revoked(aliceA.record, aliceB.record, bob.record)).to.deep.equal([true, true, false]);
  });

  it("Universal Logout by iss_sub of the org ends the user's sessions at the app's custom server; sub_id too", async () => {
    const carol = await signedIn(new ScriptedBrowser(), user('carol'));
    const bob = await signedIn(new ScriptedBrowser(), user('bob'));
    const [result] = await okta.universalLogout({
      user: 'carol@example.com',
      clientId: APPS.main.clientId,
      format: 'iss_sub',
      member: 'sub_id',
    });
    expect(result?.body).to.deep.equal({ sub_id: { format: 'iss_sub', iss: okta.origin, sub: user('carol').sub } });
    expect(result?.status).to.equal(204);
    expect(await revoked(carol.record, bob.record)).to.deep.equal([true, false]);
  });

  it("takes a custom server's JWT only at a receiver told that issuer", async () => {
    const alice = await signedIn(new ScriptedBrowser(), user('alice'));
    const endpoint = `${front.origin}/auth/okta/universal-logout`;
    const asCustom = { user: 'alice@example.com', clientId: APPS.main.clientId, authServerId: 'default' };
    const [refused] = await okta.universalLogout({ ...asCustom, endpoint });
    expect(refused?.status).to.equal(401);
    expect(await revoked(alice.record)).to.deep.equal([false]);
    const [accepted] = await okta.universalLogout({ ...asCustom, endpoint: `${endpoint}/custom-server` });
    expect(accepted?.status).to.equal(204);
    expect(await revoked(alice.record)).to.deep.equal([true]);
  });

  it("a back-channel logout token ends the session it names (sid), not the same user's other browser", async () => {
    const browserA = new ScriptedBrowser();
    const aliceA = await signedIn(browserA, user('alice'));
    const aliceB = await signedIn(new ScriptedBrowser(), user('alice'));
    expect(aliceA.claims.sid).not.to.equal(aliceB.claims.sid);
    const logout = new URL(`${okta.issuer('default')}/v1/logout`);
    logout.searchParams.set('id_token_hint', aliceA.idToken);
    logout.searchParams.set('post_logout_redirect_uri', `${front.origin}/signed-out`);
    const page = await browserA.get(logout.href);
    expect(page.body).to.equal('signed out');
    expect(await revoked(aliceA.record, aliceB.record)).to.deep.equal([true, false]);
  });

  it("a front-channel request from Okta's sign-out page ends the session it names, without cookies", async () => {
    const browser = new ScriptedBrowser();
    const framed = await signedIn(browser, user('bob'), 'frames');
    const elsewhere = await signedIn(new ScriptedBrowser(), user('bob'), 'frames');
    const initiator = await signedIn(browser, user('bob'), 'other');
    const logout = new URL(`${okta.issuer('default')}/v1/logout`);
    logout.searchParams.set('id_token_hint', initiator.idToken);
    logout.searchParams.set('post_logout_redirect_uri', `${front.origin}/signed-out`);
    const page = await browser.get(logout.href);
    expect(page.status).to.equal(200);
    const frames = [...page.body.matchAll(/<iframe src="([^"]+)"/g)].map((match) => match[1]!.replace(/&#38;/g, '&'));
    expect(frames).to.have.length(1);
    // A cross-site frame: no cookie of the app is sent.
    const framePage = await fetch(frames[0]!);
    expect(framePage.status).to.equal(200);
    expect(framePage.headers.get('content-security-policy')).to.equal(`default-src 'none'; frame-ancestors ${okta.origin}`);
    expect(await revoked(framed.record, elsewhere.record)).to.deep.equal([true, false]);
  });
});
