import { execFile } from 'node:child_process';
import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { DEMO_USERS, type DemoUser } from '../../example/local-okta/index.js';
import { DEFAULT_CLIENT_SECRET, readSettings } from '../../example/okta-local-cli.js';
import { OktaStrategy } from '../../lib/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { childEnv, startOktaLocal, type OktaLocalProcess } from '../support/okta-local-process.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// `npm run okta:local` as a person runs it: a child process, its printed settings pasted
// into an app of our own, and a sign-in over real HTTP through it.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;

/** `npm run okta:local -- universal-logout ...args` to its end: what it printed and its exit code. */
async function universalLogoutCommand(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const cwd = join(__dirname, '..');
  try {
    const { stdout, stderr } = await promisify(execFile)(
      npm,
      ['run', '--silent', 'okta:local', '--', 'universal-logout', ...args],
      {
        cwd,
        env: childEnv(),
      },
    );
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const failed = err as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('npm run okta:local', function () {
  this.timeout(60_000);
  let slot: Slot;
  let okta: OktaLocalProcess;

  before(async () => {
    slot = await openSlot();
    okta = await startOktaLocal(['--port', '0', '--redirect-uri', `${slot.origin}/auth/okta/callback`]);
  });
  after(async () => {
    await okta?.stop();
    await slot?.close();
  });

  it('prints the issuer, client id, fixed client secret, redirect URIs, demo users and OktaStrategy options', () => {
    const out = okta.output();
    const domain = okta.env.OKTA_DOMAIN!;
    expect(domain).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).to.match(new RegExp(`issuer +${domain}/oauth2/default\\n`));
    expect(out).to.match(/client id +local-app\n/);
    expect(out).to.include(`client secret          ${DEFAULT_CLIENT_SECRET}\n`);
    expect(okta.env).to.deep.equal({
      OKTA_DOMAIN: domain,
      OKTA_AUTH_SERVER_ID: 'default',
      OKTA_CLIENT_ID: 'local-app',
      OKTA_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    });
    expect(out).to.include(`sign-in redirect URIs  ${slot.origin}/auth/okta/callback\n`);
    expect(out).to.include(`sign-out redirect URIs ${slot.origin}/signed-out ${slot.origin}/\n`);
    for (const user of DEMO_USERS) expect(out).to.include(`${user.username} / ${user.password}`);
    expect(out).to.include(`oktaDomain: '${domain}',`);
    expect(out).to.include(`callbackURL: '${slot.origin}/auth/okta/callback',`);
  });

  it('signs a demo user in to an app configured with exactly the printed settings', async () => {
    const passport = new Passport();
    passport.use(
      new OktaStrategy(
        {
          oktaDomain: okta.env.OKTA_DOMAIN!,
          authServerId: okta.env.OKTA_AUTH_SERVER_ID!,
          clientID: okta.env.OKTA_CLIENT_ID!,
          clientSecret: okta.env.OKTA_CLIENT_SECRET!,
          callbackURL: '/auth/okta/callback',
        },
        async (_tokens, profile) => ({ id: profile.id, name: profile.displayName, email: profile.emails?.[0]?.value }),
      ),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'okta-local-cli-test', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.get('/login', passport.authenticate('okta'));
    app.get(
      '/auth/okta/callback',
      passport.authenticate('okta', { failureRedirect: '/failed', keepSessionInfo: true }),
      (_req, res) => res.redirect('/'),
    );
    app.get('/', (req, res) => res.json({ user: req.user ?? null }));
    slot.serve(app as unknown as RequestListener);

    const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
    expect(page.url).to.equal(`${slot.origin}/`);
    expect(JSON.parse(page.body)).to.deep.equal({
      user: { id: alice.sub, name: `${alice.givenName} ${alice.familyName}`, email: alice.email },
    });
  });

  it("is served on the app's host name, localhost for the quick start, so that a newcomer opens both on one name", async () => {
    expect(readSettings([], {})).to.deep.include({ host: 'localhost' });
    expect(readSettings(['--redirect-uri', 'http://127.0.0.1:4000/cb'], {})).to.deep.include({ host: '127.0.0.1' });
    const quickStart = await startOktaLocal(['--port', '0']);
    try {
      const out = quickStart.output();
      expect(quickStart.env.OKTA_DOMAIN).to.match(/^http:\/\/localhost:\d+$/);
      expect(out).to.not.include('127.0.0.1');
      expect(out).to.include(
        "For the README's quick start (or any app reading these variables), opened at http://localhost:3000/:",
      );
      expect(out).to.include('sign-out redirect URIs http://localhost:3000/signed-out http://localhost:3000/\n');
    } finally {
      await quickStart.stop();
    }
  });

  it('prints every URL of the app it calls on sign-out, and the one-time code of each user', () => {
    const out = okta.output();
    expect(out).to.include(`  back-channel logout    ${slot.origin}/auth/okta/backchannel-logout (POST logout_token)\n`);
    expect(out).to.include(`  front-channel logout   ${slot.origin}/auth/okta/frontchannel-logout (iframe GET ?iss=&sid=)\n`);
    expect(out).to.include(`  Universal Logout       ${slot.origin}/auth/okta/universal-logout (POST, Bearer JWT)\n`);
    expect(out).to.include('npm run okta:local -- universal-logout --user alice@example.com');
    for (const user of DEMO_USERS) {
      expect(out).to.include(
        user.oneTimeCode
          ? `one-time code ${user.oneTimeCode}`
          : `${user.username} / ${user.password} (groups: Everyone; no second factor)`,
      );
    }
  });

  it("universal-logout asks the running okta:local to send Okta's Universal Logout request, and prints the answer", async () => {
    const received: Array<{ url?: string; authorization?: string; body: string }> = [];
    slot.serve(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      received.push({ url: req.url, authorization: req.headers.authorization, body });
      res.statusCode = req.url === '/auth/okta/universal-logout' ? 204 : 401;
      res.end();
    });
    const done = await universalLogoutCommand(['--okta', okta.env.OKTA_DOMAIN!, '--user', alice.username]);
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.include(`POST ${slot.origin}/auth/okta/universal-logout -> 204`);
    expect(received).to.have.length(1);
    expect(JSON.parse(received[0]!.body)).to.deep.equal({ subject: { format: 'email', email: alice.email } });
    expect(received[0]!.authorization).to.match(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const refused = await universalLogoutCommand([
      ...['--okta', okta.env.OKTA_DOMAIN!, '--user', alice.sub, '--format', 'iss_sub'],
      ...['--endpoint', `${slot.origin}/elsewhere`],
    ]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include(`POST ${slot.origin}/elsewhere -> 401`);
    expect(JSON.parse(received[1]!.body).subject).to.deep.include({ format: 'iss_sub', sub: alice.sub });

    const usage = await universalLogoutCommand(['--okta', okta.env.OKTA_DOMAIN!]);
    expect(usage.code).to.equal(1);
    expect(usage.stderr).to.include('--user is required');
  });

  it('takes its settings from flags first, then LOCAL_OKTA_* variables, then defaults', () => {
    const env = {
      LOCAL_OKTA_PORT: '4999',
      LOCAL_OKTA_CLIENT_ID: 'from-env',
      LOCAL_OKTA_CLIENT_SECRET: 'env-secret',
      LOCAL_OKTA_REDIRECT_URIS: 'http://localhost:4000/cb, http://127.0.0.1:4000/cb',
    };
    expect(readSettings(['--client-id', 'from-flag'], env)).to.deep.equal({
      port: 4999,
      host: 'localhost',
      authServerId: 'default',
      clientId: 'from-flag',
      clientSecret: 'env-secret',
      redirectUris: ['http://localhost:4000/cb', 'http://127.0.0.1:4000/cb'],
      postLogoutRedirectUris: [
        'http://localhost:4000/signed-out',
        'http://localhost:4000/',
        'http://127.0.0.1:4000/signed-out',
        'http://127.0.0.1:4000/',
      ],
    });
    expect(readSettings(['--host', '127.0.0.1'], env)).to.deep.include({ host: '127.0.0.1' });
    expect(readSettings([], {})).to.deep.include({
      port: 4010,
      clientId: 'local-app',
      clientSecret: DEFAULT_CLIENT_SECRET,
      redirectUris: ['http://localhost:3000/auth/okta/callback'],
    });
    expect(() => readSettings(['--redirect-uri', '/cb'], {})).to.throw(/--redirect-uri must be an absolute http\(s\) URL/);
    expect(() => readSettings(['--host', '0.0.0.0'], {})).to.throw(/--host must be 127\.0\.0\.1 or localhost/);
    expect(() => readSettings(['--bogus'], {})).to.throw(/bogus/);
  });

  it('takes the logout URLs of the app from flags or LOCAL_OKTA_*_LOGOUT_URI variables; none turns one off', () => {
    const env = { LOCAL_OKTA_BACKCHANNEL_LOGOUT_URI: 'none', LOCAL_OKTA_UNIVERSAL_LOGOUT_URI: 'http://localhost:3000/env-ul' };
    const settings = readSettings(['--universal-logout-uri', 'http://localhost:3000/gtr'], env);
    expect(settings).to.deep.include({ backchannelLogoutUri: 'none', universalLogoutUri: 'http://localhost:3000/gtr' });
    expect(settings).not.to.have.property('frontchannelLogoutUri');
    expect(() => readSettings(['--frontchannel-logout-uri', '/relative'], {})).to.throw(
      /--frontchannel-logout-uri must be an absolute http\(s\) URL or none/,
    );
  });
});
