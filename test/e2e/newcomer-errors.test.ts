import type { RequestListener } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { Diagnosis } from '../../lib/sign-in/diagnose.js';
import { ConfigurationError, RequestError, ResponseError, TokenError } from '../../lib/core/errors.js';
import { OktaClient } from '../../lib/client.js';
import { OktaStrategy, type OktaStrategyOptions } from '../../lib/index.js';
import { type OktaRequest } from '../../lib/passport/request.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { listen, openSlot, type Listening, type Slot } from '../support/server.js';

// The mistakes of a first hour with the package, each answered with what to do.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const BASE: OktaStrategyOptions = {
  oktaDomain: 'https://acme.okta.com',
  authServerId: 'default',
  clientID: '0oa1',
  clientSecret: 'secret',
  callbackURL: '/auth/okta/callback',
};
const verify = async () => false;

/** The options as plain JavaScript would pass them, typos included. */
function strategyWith(options: Record<string, unknown>): OktaStrategy {
  return new OktaStrategy(options as unknown as OktaStrategyOptions, verify);
}

function configurationError(make: () => unknown): ConfigurationError {
  try {
    make();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  return expect.fail('expected a ConfigurationError');
}

describe('errors a newcomer meets', () => {
  describe('unknown option names', () => {
    it('clientId instead of clientID: "did you mean clientID?"', () => {
      const { clientID, ...rest } = BASE;
      const err = configurationError(() => strategyWith({ ...rest, clientId: clientID }));
      expect(err.message).to.equal(
        'OktaStrategy has no option "clientId": did you mean clientID? See docs/configuration.md for the options.',
      );
      expect(err.code).to.equal('ERR_OKTA_CONFIGURATION');
    });

    it('suggests the nearest name for other typos and case mistakes', () => {
      expect(configurationError(() => strategyWith({ ...BASE, callbackUrl: '/cb' })).message).to.match(
        /"callbackUrl": did you mean callbackURL\?/,
      );
      expect(configurationError(() => strategyWith({ ...BASE, authServerID: 'default' })).message).to.match(
        /did you mean authServerId\?/,
      );
      expect(configurationError(() => strategyWith({ ...BASE, scopes: ['email'] })).message).to.match(/"scopes": use scope/);
      expect(configurationError(() => strategyWith({ ...BASE, clockTolerence: 5 })).message).to.match(
        /did you mean clockTolerance\?/,
      );
    });

    it('says what to use instead of options of other libraries', () => {
      expect(configurationError(() => strategyWith({ ...BASE, orgUrl: 'https://acme.okta.com' })).message).to.match(
        /"orgUrl": use oktaDomain/,
      );
      // Okta's libraries take the issuer instead of a domain: here it only names the iss expected.
      const withoutDomain = { ...BASE, oktaDomain: undefined };
      expect(
        configurationError(() => strategyWith({ ...withoutDomain, issuer: 'https://acme.okta.com/oauth2/aus1x' })).message,
      ).to.equal(
        'oktaDomain is required: the endpoints come from oktaDomain and authServerId (for this issuer: oktaDomain ' +
          '"https://acme.okta.com", authServerId "aus1x"); issuer is needed only when tokens name another issuer than ' +
          'that (a custom URL domain)',
      );
      expect(configurationError(() => strategyWith({ ...BASE, pkce: true })).message).to.match(/PKCE \(S256\) is always on/);
      expect(configurationError(() => strategyWith({ ...BASE, redirectUri: '/cb' })).message).to.match(/use callbackURL/);
    });

    it('names an unknown option with no close match, and points to the options', () => {
      expect(configurationError(() => strategyWith({ ...BASE, port: 3000 })).message).to.equal(
        'OktaStrategy has no option "port". See docs/configuration.md for the options.',
      );
    });

    it('checks OktaClient options too, and refuses strategy-only options there', () => {
      const make = (options: Record<string, unknown>) => () =>
        new OktaClient('acme.okta.com', '0oa1', 's', 'https://app.example/cb', options as never);
      expect(configurationError(make({ authServerID: 'default' })).message).to.match(
        /^OktaClient has no option "authServerID": did you mean authServerId\?/,
      );
      expect(configurationError(make({ callbackURL: '/cb' })).message).to.match(/^OktaClient has no option "callbackURL"/);
      expect(() => make({ authServerId: 'default', timeout: 5000 })()).to.not.throw();
    });

    it('accepts every documented option of the strategy', () => {
      expect(
        () =>
          new OktaStrategy(
            {
              ...BASE,
              scope: ['openid'],
              name: 'okta-x',
              userInfo: 'auto',
              responseMode: 'query',
              stateMaxAge: 1000,
              requireIss: false,
              onReportError: () => undefined,
              verifyTimeout: 1000,
              allowedHosts: ['app.example'],
              trustProxy: false,
              passReqToCallback: false,
              tokenEndpointAuthMethod: 'client_secret_post',
              timeout: 1000,
              fetch,
              idTokenSigningAlgorithms: ['RS256'],
              clockTolerance: 5,
              trustedAudiences: ['api://default'],
              jwksCooldown: 1000,
              jwksMaxAge: 1000,
              pushedAuthorizationRequests: false,
            },
            verify,
          ),
      ).to.not.throw();
    });
  });

  describe('oktaDomain', () => {
    for (const [domain, fix] of [
      ['acme-admin.okta.com', 'https://acme.okta.com'],
      ['https://acme-admin.okta.com', 'https://acme.okta.com'],
      ['dev-123456-admin.okta.com', 'https://dev-123456.okta.com'],
      ['acme-admin.oktapreview.com', 'https://acme.oktapreview.com'],
      ['acme-admin.okta-emea.com', 'https://acme.okta-emea.com'],
    ] as const) {
      it(`refuses the admin console's domain ${domain}, naming ${fix}`, () => {
        expect(configurationError(() => new OktaStrategy({ ...BASE, oktaDomain: domain }, verify)).message).to.equal(
          `oktaDomain "${domain}" is the admin console's domain: use "${fix}", not the admin console's domain`,
        );
      });
    }

    it('still accepts an org whose name merely contains "admin"', () => {
      expect(() => new OktaStrategy({ ...BASE, oktaDomain: 'admin-tools.okta.com' }, verify)).to.not.throw();
      expect(() => new OktaStrategy({ ...BASE, oktaDomain: 'login.acme-admin.example' }, verify)).to.not.throw();
    });
  });

  describe('callbackURL', () => {
    it('refuses a relative path without a leading "/", showing it with one', () => {
      expect(configurationError(() => new OktaStrategy({ ...BASE, callbackURL: 'auth/okta/callback' }, verify)).message).to.equal(
        'callbackURL "auth/okta/callback" is a relative path: start it with "/" (e.g. "/auth/okta/callback") or give an absolute URL',
      );
      expect(configurationError(() => new OktaStrategy({ ...BASE, callbackURL: './cb' }, verify)).message).to.match(
        /e\.g\. "\/cb"/,
      );
    });

    it('refuses a URL without http(s), such as localhost:3000/cb', () => {
      expect(configurationError(() => new OktaStrategy({ ...BASE, callbackURL: 'localhost:3000/cb' }, verify)).message).to.equal(
        'callbackURL "localhost:3000/cb" must be an absolute http(s) URL (e.g. "https://localhost:3000/cb") or a path starting with "/"',
      );
      expect(() => new OktaStrategy({ ...BASE, callbackURL: '//evil.example/cb' }, verify)).to.throw(
        ConfigurationError,
        /single "\/"/,
      );
    });

    it('accepts a path and absolute http(s) URLs', () => {
      for (const callbackURL of ['/cb', 'https://app.example/cb', 'http://localhost:3000/cb']) {
        expect(() => new OktaStrategy({ ...BASE, callbackURL }, verify), callbackURL).to.not.throw();
      }
    });
  });

  describe('an app without passport.session()', function () {
    this.timeout(30_000);
    let okta: LocalOkta;
    let slot: Slot;
    let warnings: string[];
    const warn = console.warn;

    before(async () => {
      slot = await openSlot();
      okta = await startLocalOkta({
        clients: [{ clientId: 'app', clientSecret: 'app-secret', redirectUris: [`${slot.origin}/auth/okta/callback`] }],
      });
    });
    after(async () => {
      await okta?.close();
      await slot?.close();
    });
    beforeEach(() => {
      warnings = [];
      console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    });
    afterEach(() => {
      console.warn = warn;
    });

    function mountApp(withPassportSession: boolean): void {
      const passport = new Passport();
      passport.use(
        new OktaStrategy(
          {
            oktaDomain: okta.origin,
            authServerId: 'default',
            clientID: 'app',
            clientSecret: 'app-secret',
            callbackURL: '/auth/okta/callback',
          },
          async (_tokens, profile) => ({ id: profile.id }),
        ),
      );
      passport.serializeUser((user, done) => done(null, user));
      passport.deserializeUser((user: Express.User, done) => done(null, user));
      const app = express();
      app.use(session({ secret: 'newcomer', resave: false, saveUninitialized: false }));
      app.use(passport.initialize());
      if (withPassportSession) app.use(passport.session());
      app.get('/login', passport.authenticate('okta'));
      app.get(
        '/auth/okta/callback',
        passport.authenticate('okta', { failureRedirect: '/failed', keepSessionInfo: true }),
        (_req, res) => res.redirect('/'),
      );
      app.get('/', (req, res) => res.json({ user: req.user ?? null }));
      slot.serve(app as unknown as RequestListener);
    }

    it('signs in, forgets the user, and warns once at the next sign-in with the fix', async () => {
      mountApp(false);
      const browser = new ScriptedBrowser();
      const first = await signIn(browser, `${slot.origin}/login`, alice);
      expect(JSON.parse(first.body)).to.deep.equal({ user: null }); // the symptom
      expect(warnings).to.deep.equal([]);
      await browser.get(`${slot.origin}/login`); // the user tries again
      expect(warnings).to.have.length(1);
      expect(warnings[0])
        .to.match(/req\.user is not set/)
        .and.match(/app\.use\(passport\.session\(\)\)/);
      expect(warnings[0]).to.not.include(alice.sub);
      await browser.get(`${slot.origin}/login`);
      expect(warnings).to.have.length(1);
    });

    it('does not warn when passport.session() restores the user', async () => {
      mountApp(true);
      const browser = new ScriptedBrowser();
      const first = await signIn(browser, `${slot.origin}/login`, alice);
      expect(JSON.parse(first.body)).to.deep.equal({ user: { id: alice.sub } });
      await signIn(browser, `${slot.origin}/login`, alice);
      expect(warnings).to.deep.equal([]);
    });
  });
});

describe('a sign-in that cannot finish, explained (what a newcomer hits)', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let slot: Slot;
  let warnings: string[];
  const warn = console.warn;
  /** The app's callback on localhost, while the test's server is reached as 127.0.0.1 too. */
  let localhostCallback: string;

  before(async () => {
    slot = await openSlot();
    localhostCallback = `${slot.origin.replace('127.0.0.1', 'localhost')}/auth/okta/callback`;
    okta = await startLocalOkta({
      clients: [
        { clientId: 'app', clientSecret: 'app-secret', redirectUris: [`${slot.origin}/auth/okta/callback`, localhostCallback] },
      ],
    });
  });
  after(async () => {
    await okta?.close();
    await slot?.close();
  });
  beforeEach(() => {
    warnings = [];
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  });
  afterEach(() => {
    console.warn = warn;
  });

  interface AppSettings {
    cookie?: session.CookieOptions;
    /** `app.set('trust proxy', 1)`. */
    trustProxy?: boolean;
    /** A proxy in front that terminates TLS: every request arrives with `X-Forwarded-Proto: https`. */
    behindTLSProxy?: boolean;
    callbackURL?: string;
    clientSecret?: string;
  }

  /** The README's app, in short: failure messages on /failed, errors as JSON on an error handler. */
  function mountApp(settings: AppSettings = {}): void {
    const passport = new Passport();
    passport.use(
      new OktaStrategy(
        {
          oktaDomain: okta.origin,
          authServerId: 'default',
          clientID: 'app',
          clientSecret: settings.clientSecret ?? 'app-secret',
          callbackURL: settings.callbackURL ?? '/auth/okta/callback',
        },
        async (_tokens, profile) => ({ id: profile.id }),
      ),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    if (settings.behindTLSProxy) {
      app.use((req, _res, next) => {
        req.headers['x-forwarded-proto'] = 'https';
        next();
      });
    }
    if (settings.trustProxy) app.set('trust proxy', 1);
    app.use(session({ secret: 'newcomer', resave: false, saveUninitialized: false, cookie: settings.cookie }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.get('/login', passport.authenticate('okta'));
    app.get(
      '/auth/okta/callback',
      passport.authenticate('okta', { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true }),
      (_req, res) => res.redirect('/'),
    );
    app.get('/failed', (req, res) => {
      const messages = (req.session as { messages?: string[] }).messages ?? [];
      res.status(401).json({ failed: messages.at(-1) ?? 'unknown' });
    });
    app.get('/', (req, res) => res.json({ user: req.user ?? null }));
    app.use((err: Error & Record<string, unknown>, _req: express.Request, res: express.Response, _next: unknown) => {
      const { name, message, code, status, error, oktaStatus } = err;
      res.status(500).json({ name, message, code, status, error, oktaStatus });
    });
    slot.serve(app as unknown as RequestListener);
  }

  describe('a Secure session cookie over http', () => {
    it('says so on the page and once in the log, naming cookie.secure and trust proxy', async () => {
      mountApp({ cookie: { secure: true } });
      const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
      expect(page.url).to.equal(`${slot.origin}/auth/okta/callback${new URL(page.url).search}`);
      expect(page.status).to.equal(500);
      const error = JSON.parse(page.body) as { name: string; code: string; message: string };
      expect(error.code).to.equal('ERR_OKTA_CONFIGURATION');
      expect(error.message)
        .to.match(/^The session cookie is Secure \(cookie\.secure: true\) but this request came over plain http/)
        .and.include("app.set('trust proxy', 1)")
        .and.include('set cookie.secure to false');
      expect(warnings).to.deep.equal([`passport-okta-oidc: ${error.message}`]);
      await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
      expect(warnings, 'logged once').to.have.length(1);
    });

    it('says the same behind a proxy that terminates TLS when Express does not trust it', async () => {
      mountApp({ cookie: { secure: true }, behindTLSProxy: true });
      const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
      expect(page.status).to.equal(500);
      expect((JSON.parse(page.body) as { message: string }).message).to.include("app.set('trust proxy', 1)");
    });

    it('signs in once Express trusts the proxy, as the message says', async () => {
      // An absolute callbackURL: the test's browser speaks http to the app, which believes it is https.
      mountApp({
        cookie: { secure: true },
        behindTLSProxy: true,
        trustProxy: true,
        callbackURL: `${slot.origin}/auth/okta/callback`,
      });
      const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
      expect(JSON.parse(page.body)).to.deep.equal({ user: { id: alice.sub } });
      expect(warnings).to.deep.equal([]);
    });

    it('keeps the generic message for an unknown state when the cookie is fine', async () => {
      mountApp();
      const page = await new ScriptedBrowser().get(`${slot.origin}/auth/okta/callback?code=c&state=forged-state`);
      expect(JSON.parse(page.body)).to.deep.equal({
        failed: 'The sign-in state is unknown: it expired, was already used, or was not started in this browser',
      });
      expect(warnings).to.deep.equal([]);
    });
  });

  describe('a sign-in started on another host than its callback', () => {
    it('names both hosts and what to open (browser on 127.0.0.1, callbackURL on localhost)', async () => {
      mountApp({ callbackURL: localhostCallback });
      const browser = new ScriptedBrowser();
      const page = await signIn(browser, `${slot.origin}/login`, alice);
      const startHost = new URL(slot.origin).host;
      const callbackHost = new URL(localhostCallback).host;
      expect(page.url).to.equal(`http://${callbackHost}/failed`);
      const { failed } = JSON.parse(page.body) as { failed: string };
      expect(failed).to.equal(
        `This sign-in was started on ${startHost}, but Okta sent the browser back to ${callbackHost} (the host of ` +
          `callbackURL): the browser keeps cookies per host, so the sign-in's session stayed on ${startHost}. Open the ` +
          `app at ${callbackHost}, or give callbackURL as a path ("/auth/okta/callback") so that it follows the host ` +
          'the app is opened on.',
      );
      expect(warnings).to.deep.equal([`passport-okta-oidc: ${failed}`]);
    });

    it('keeps no note of a Host header that is no host, and at most 1,000 notes', () => {
      const diagnosis = new Diagnosis('client_secret_basic', false);
      const start = (host: string) => ({ headers: { host } }) as unknown as OktaRequest;
      diagnosis.noteStart(start('evil <b>host</b>'), 'state-1', 'http://localhost:3000/cb');
      expect(diagnosis.unknownState(start('localhost:3000'), 'state-1')).to.equal(undefined);
      diagnosis.noteStart(start('localhost:4000'), 'state-2', 'http://localhost:3000/cb');
      expect(diagnosis.unknownState(start('localhost:3000'), 'state-2'), 'same host name, another port').to.equal(undefined);
      for (let i = 0; i <= 1000; i++) diagnosis.noteStart(start('127.0.0.1:3000'), `flood-${i}`, 'http://localhost:3000/cb');
      expect(diagnosis.unknownState(start('localhost:3000'), 'flood-0'), 'the oldest note went first').to.equal(undefined);
      expect(diagnosis.unknownState(start('localhost:3000'), 'flood-1000')).to.match(
        /^This sign-in was started on 127\.0\.0\.1:3000/,
      );
    });

    it('signs in when the app is opened on the callback host', async () => {
      mountApp({ callbackURL: localhostCallback });
      const page = await signIn(new ScriptedBrowser(), localhostCallback.replace('/auth/okta/callback', '/login'), alice);
      expect(JSON.parse(page.body)).to.deep.equal({ user: { id: alice.sub } });
      expect(warnings).to.deep.equal([]);
    });
  });

  describe('a wrong client secret', () => {
    it('names the settings to check, keeping the error code, status and Okta fields', async () => {
      mountApp({ clientSecret: 'not-the-secret' });
      const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
      expect(page.status).to.equal(500);
      const error = JSON.parse(page.body) as Record<string, unknown>;
      expect(error).to.deep.include({
        name: 'TokenError',
        code: 'ERR_OKTA_TOKEN',
        status: 502,
        error: 'invalid_client',
        oktaStatus: 401,
      });
      expect(error.message).to.match(
        /^Okta refused the client credentials: check clientID\/clientSecret \(OKTA_CLIENT_SECRET\), and that oktaDomain is the Okta org of this app\. Okta said: Okta's token endpoint answered 401: invalid_client/,
      );
      expect(error.message).to.not.include('not-the-secret');
    });

    it('names the key for private_key_jwt and the app type for public clients, once', () => {
      const refused = () => new TokenError({ error: 'invalid_client', oktaStatus: 401, endpoint: 'token endpoint' });
      const jwt = new Diagnosis('private_key_jwt', false).explain(refused());
      expect(jwt.message).to.match(/^Okta refused the client credentials: check clientID, privateKey and privateKeyId/);
      expect(jwt.stack).to.match(/^TokenError: Okta refused the client credentials: check clientID, privateKey/);
      const diagnosis = new Diagnosis('none', false);
      const none = diagnosis.explain(diagnosis.explain(refused()));
      expect(none.message).to.match(/^Okta refused the client credentials: check clientID, that the Okta app is a public client/);
      expect(none.message.match(/Okta refused/g)).to.have.length(1);
      const grant = new TokenError({ error: 'invalid_grant', oktaStatus: 400, endpoint: 'token endpoint' });
      expect(diagnosis.explain(grant).message).to.equal("Okta's token endpoint answered 400: invalid_grant");
    });
  });
});

describe('strategy.check(): the settings checked before the first user arrives', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let fake: Listening;
  /** What the fake server answers next, by path. */
  let answers: Record<string, { status: number; body: string }>;

  before(async () => {
    okta = await startLocalOkta({
      clients: [{ clientId: 'app', clientSecret: 'app-secret', redirectUris: ['http://localhost/cb'] }],
    });
    fake = await listen((req, res) => {
      const answer = answers[new URL(req.url ?? '/', 'http://x').pathname] ?? { status: 404, body: '<h1>Not found</h1>' };
      res.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/html' });
      res.end(answer.body);
    });
  });
  after(async () => {
    await okta?.close();
    await fake?.close();
  });
  beforeEach(() => {
    answers = {};
  });

  const strategyAt = (oktaDomain: string, authServerId?: string) =>
    new OktaStrategy({ ...BASE, oktaDomain, authServerId, callbackURL: 'http://localhost/cb' }, verify);

  async function checkFailure(strategy: OktaStrategy): Promise<Error> {
    try {
      await strategy.check();
    } catch (err) {
      return err as Error;
    }
    return expect.fail('expected check() to fail');
  }

  it('passes for a custom authorization server and for the org authorization server', async () => {
    await strategyAt(okta.origin, 'default').check();
    await strategyAt(okta.origin).check();
    await strategyAt(okta.origin, 'default').client.check();
  });

  it('names authServerId when Okta has no such authorization server (404)', async () => {
    const err = await checkFailure(strategyAt(okta.origin, 'defualt'));
    expect(err).to.be.instanceOf(ConfigurationError);
    expect(err.message)
      .to.include(`${okta.origin} answered 404 for Okta's discovery document: it has no authorization server "defualt"`)
      .and.include('Check authServerId');
    expect(err.cause).to.be.instanceOf(ResponseError).and.to.have.property('oktaStatus', 404);
  });

  it('names oktaDomain and the network when the domain cannot be reached', async () => {
    const closed = await listen((_req, res) => res.end());
    await closed.close();
    const err = await checkFailure(strategyAt(closed.origin, 'default'));
    expect(err).to.be.instanceOf(ConfigurationError);
    expect(err.message)
      .to.match(new RegExp(`^Okta at ${closed.origin} could not be reached \\(.*ECONNREFUSED.*\\): check oktaDomain`))
      .and.include('pass the fetch option');
    expect(err.cause).to.be.instanceOf(RequestError);
  });

  it('names oktaDomain when the domain is not an Okta org (an HTML page; the org server)', async () => {
    answers['/oauth2/v1/keys'] = { status: 200, body: '<html>a website</html>' };
    const err = await checkFailure(strategyAt(fake.origin));
    expect(err).to.be.instanceOf(ConfigurationError);
    expect(err.message).to.match(
      new RegExp(`^${fake.origin} answered 200 for Okta's key set, which is not what an Okta org answers: check oktaDomain`),
    );
  });

  it('names both issuers when the discovery document names another issuer', async () => {
    answers['/oauth2/default/.well-known/openid-configuration'] = {
      status: 200,
      body: JSON.stringify({ issuer: 'https://acme.okta.com/oauth2/default' }),
    };
    const err = await checkFailure(strategyAt(fake.origin, 'default'));
    expect(err).to.be.instanceOf(ConfigurationError);
    expect(err.message).to.include(
      `names the issuer "https://acme.okta.com/oauth2/default", but ID tokens are checked against "${fake.origin}/oauth2/default"`,
    );
  });

  it("refuses an empty key set, and leaves Okta's own failure (503) as it is", async () => {
    answers['/oauth2/v1/keys'] = { status: 200, body: '{"keys":[]}' };
    expect((await checkFailure(strategyAt(fake.origin))).message).to.match(/key set at .* is empty/);
    answers['/oauth2/v1/keys'] = { status: 503, body: '{}' };
    const outage = await checkFailure(
      new OktaStrategy({ ...BASE, oktaDomain: fake.origin, authServerId: undefined, jwksCooldown: 1 }, verify),
    );
    expect(outage, outage.message).to.be.instanceOf(ResponseError).and.not.instanceOf(ConfigurationError);
    expect(outage).to.have.property('oktaStatus', 503);
  });
});
