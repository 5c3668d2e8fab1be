import type { RequestListener } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../example/local-okta.js';
import { ConfigurationError, OktaClient, OktaStrategy, type OktaStrategyOptions } from '../lib/index.js';
import { ScriptedBrowser } from './support/browser.js';
import { signIn } from './support/okta-login.js';
import { openSlot, type Slot } from './support/server.js';

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
