import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { ConfigurationError } from '../../lib/core/errors.js';
import { OktaClient } from '../../lib/client.js';
import { oktaAuthenticate, type OktaAuthenticateOptions } from '../../lib/index.js';
import { CookieBrowser, createTestApp } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { CLIENT_ID, CLIENT_SECRET, HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

// Issue 19, items 2, 5 and 7: what real Okta sends to the callback and from /userinfo, and
// the authorization parameters Okta's guides use, driven over HTTP with Okta-shaped answers
// (facts from ../shared/okta-real/, fixtures written here).

/** Okta's redirect errors a user causes: a sign-in failure (failureRedirect), never an error page. */
const USER_CAUSED: Array<[string, string]> = [
  ['access_denied', 'User is not assigned to the client application.'],
  ['login_required', 'The client specified not to prompt, but the user is not logged in.'],
  ['consent_required', 'The following scopes require user consent: [profile].'],
  ['interaction_required', 'Your client is configured to use the interaction code flow and user interaction is required.'],
  ['unmet_authentication_requirements', "Unable to meet the authentication requirements imposed by 'acr_values' parameter."],
  ['jit_failure', 'Unable to create the user.'],
];
/** Okta's redirect errors that the app or Okta must fix: errors (5xx). */
const NOT_USER_CAUSED: Array<[string, string, number]> = [
  ['server_error', 'The groups claim matched too many groups and must be configured to match fewer groups.', 502],
  ['temporarily_unavailable', 'The authorization server is currently unable to handle the request.', 503],
  ['invalid_scope', 'The requested scope is invalid, unknown, or malformed.', 502],
];

/** Okta's /userinfo answer for a token without profile, email, address or phone: the error is in the header only. */
const INSUFFICIENT_SCOPE = {
  status: 403,
  headers: {
    expires: '0',
    'www-authenticate':
      'Bearer error="insufficient_scope", error_description="The access token must provide access to at least one of these scopes - profile, email, address or phone"',
  },
};

describe('what real Okta sends: callback errors, /userinfo, authorization parameters (issue 19)', () => {
  let okta: HostileOkta;
  let app: Listening | undefined;
  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  after(async () => {
    await okta.close();
  });

  async function startedSignIn(strategyOptions: Parameters<typeof makeStrategy>[1] = {}) {
    const strategy = makeStrategy(okta, strategyOptions);
    const errors: Error[] = [];
    const test = createTestApp(strategy, (routes) => {
      routes.use(((err, _req, _res, next) => {
        errors.push(err as Error);
        next(err);
      }) as express.ErrorRequestHandler);
    });
    app = await listen(test.app);
    const browser = new CookieBrowser();
    const start = await browser.get(`${app.origin}/login?user=alice`);
    expect(start.status, start.body).to.equal(302);
    return { browser, start: new URL(start.location!), errors, origin: app.origin };
  }

  describe('item 2: errors Okta redirects to the callback', () => {
    for (const [error, description] of USER_CAUSED) {
      it(`${error} is a sign-in failure with Okta's description, not an error page`, async () => {
        const { browser, start, errors, origin } = await startedSignIn();
        const callback = new URL(`${origin}/auth/okta/callback`);
        callback.search = new URLSearchParams({
          error,
          error_description: description,
          state: start.searchParams.get('state')!,
        }).toString();
        const answer = await browser.get(callback);
        expect(answer.status).to.equal(302);
        expect(answer.location).to.equal('/failed');
        const { messages } = JSON.parse((await browser.get(`${origin}/failed`)).body) as { messages: string[] };
        expect(messages.at(-1)).to.equal(description);
        expect(errors).to.deep.equal([]);
      });
    }

    for (const [error, description, status] of NOT_USER_CAUSED) {
      it(`${error} stays an error (${status})`, async () => {
        const { browser, start, origin } = await startedSignIn();
        const callback = new URL(`${origin}/auth/okta/callback`);
        callback.search = new URLSearchParams({
          error,
          error_description: description,
          state: start.searchParams.get('state')!,
        }).toString();
        const answer = await browser.get(callback);
        expect(answer.status).to.equal(500); // the test app's handler answers 500 for every 5xx error
        expect(JSON.parse(answer.body)).to.include({ code: 'ERR_OKTA_AUTHORIZATION' });
      });
    }
  });

  describe('item 5: /userinfo only when Okta will answer it', () => {
    it("does not call /userinfo for scope 'openid groups' when the ID token has no groups claim", async () => {
      okta.behaviour = { userinfo: INSUFFICIENT_SCOPE, tokenResponse: { scope: 'openid groups' } };
      const { browser, start } = await startedSignIn({ scope: ['openid', 'groups'] });
      const done = await browser.get(await okta.authorize(start));
      expect(done.status, done.body).to.equal(302);
      expect(done.location).to.equal('/me');
      expect(okta.hits.userinfo).to.equal(0);
      const me = JSON.parse((await browser.get(new URL('/me', start.searchParams.get('redirect_uri')!))).body) as {
        user: { profile: { id: string; groups?: string[] } };
      };
      expect(me.user.profile.id).to.equal('00ualice');
      expect(me.user.profile.groups).to.equal(undefined);
    });

    it("signs in from the verified ID token when 'auto' meets Okta's 403 insufficient_scope", async () => {
      // Okta refuses /userinfo when the token lost its profile scopes (an access policy, a
      // scope consent): the ID token is valid, the sign-in goes on with its claims.
      okta.behaviour = { userinfo: INSUFFICIENT_SCOPE };
      const { browser, start } = await startedSignIn({ scope: ['openid', 'profile'] });
      const done = await browser.get(await okta.authorize(start));
      expect(done.status, done.body).to.equal(302);
      expect(done.location).to.equal('/me');
      expect(okta.hits.userinfo).to.equal(1);
    });

    it('still fails with userInfo: true when Okta refuses /userinfo', async () => {
      okta.behaviour = { userinfo: INSUFFICIENT_SCOPE };
      const { browser, start, errors } = await startedSignIn({ scope: ['openid', 'profile'], userInfo: true });
      const done = await browser.get(await okta.authorize(start));
      expect(done.status).to.equal(500);
      expect(errors[0]).to.have.property('error', 'insufficient_scope');
    });
  });

  describe('item 7: extraParams', () => {
    it("sends the strategy's extraParams after the protocol parameters, and signs in", async () => {
      const strategy = makeStrategy(okta, { extraParams: { ui_locales: 'fr-CA', display: 'page' } });
      app = await listen(createTestApp(strategy).app);
      const browser = new CookieBrowser();
      const start = new URL((await browser.get(`${app.origin}/login?user=alice`)).location!);
      const names = [...start.searchParams.keys()];
      expect(start.searchParams.get('ui_locales')).to.equal('fr-CA');
      expect(start.searchParams.get('display')).to.equal('page');
      expect(names.indexOf('ui_locales')).to.be.greaterThan(names.indexOf('nonce'));
      const done = await browser.get(await okta.authorize(start));
      expect(done.location).to.equal('/me');
    });

    it('ignores per-request extraParams that the protocol owns, and layers the others over the strategy ones', async () => {
      const strategy = makeStrategy(okta, { extraParams: { ui_locales: 'fr-CA', display: 'page' } });
      const passport = new Passport();
      passport.use(strategy);
      const server = express();
      server.use(session({ secret: 'extra', resave: false, saveUninitialized: false }));
      server.use(passport.initialize());
      server.get('/login', (req, res, next) => {
        const options: OktaAuthenticateOptions = {
          extraParams: {
            display: 'popup',
            idp_scope: 'openid email',
            state: 'attacker-state',
            nonce: 'attacker-nonce',
            redirect_uri: 'https://evil.example/cb',
            scope: 'openid admin',
            max_age: '0',
            acr_values: 'urn:weak',
            client_id: 'other',
          },
        };
        oktaAuthenticate(passport, options)(req, res, next);
      });
      app = await listen(server);
      const start = new URL((await new CookieBrowser().get(`${app.origin}/login`)).location!);
      const params = start.searchParams;
      expect(params.get('display')).to.equal('popup');
      expect(params.get('ui_locales')).to.equal('fr-CA');
      expect(params.get('idp_scope')).to.equal('openid email');
      for (const owned of ['state', 'nonce', 'redirect_uri', 'scope', 'client_id'])
        expect(params.getAll(owned), owned).to.have.length(1);
      expect(params.get('state')).to.not.equal('attacker-state');
      expect(params.get('nonce')).to.not.equal('attacker-nonce');
      expect(params.get('redirect_uri')).to.equal(`${app.origin}/auth/okta/callback`);
      expect(params.get('scope')).to.equal('openid');
      expect(params.get('client_id')).to.equal(CLIENT_ID);
      expect(params.has('max_age')).to.equal(false);
      expect(params.has('acr_values')).to.equal(false);
    });

    it('refuses protocol-owned names at setup, naming the option to use', () => {
      for (const [name, hint] of [
        ['state', /state option/],
        ['max_age', /maxAge/],
        ['acr_values', /acrValues/],
        ['redirect_uri', /callbackURL/],
        ['nonce', /sets and checks itself/],
        ['code_challenge', /sets and checks itself/],
      ] as const) {
        expect(() => makeStrategy(okta, { extraParams: { [name]: 'x' } }), name)
          .to.throw(ConfigurationError, /extraParams may not set/)
          .with.property('message')
          .that.matches(hint);
      }
      expect(() => makeStrategy(okta, { extraParams: { ui_locales: 3 as unknown as string } })).to.throw(ConfigurationError);
    });

    it('pushes extraParams with the rest under PAR, and OktaClient.createAuthorizationURL takes them too', async () => {
      const strategy = makeStrategy(okta, { pushedAuthorizationRequests: true, extraParams: { ui_locales: 'de' } });
      app = await listen(createTestApp(strategy).app);
      const browser = new CookieBrowser();
      const start = new URL((await browser.get(`${app.origin}/login?user=alice`)).location!);
      expect(start.searchParams.has('ui_locales')).to.equal(false);
      const pushed = new URLSearchParams(okta.recent.find((r) => r.endpoint === 'par')!.body);
      expect(pushed.get('ui_locales')).to.equal('de');
      expect((await browser.get(await okta.authorize(start))).location).to.equal('/me');

      const client = new OktaClient(okta.origin, CLIENT_ID, CLIENT_SECRET, 'https://app.example/cb', { authServerId: 'default' });
      const url = await client.createAuthorizationURL('s', 'v'.repeat(43), {
        scopes: ['profile'],
        extraParams: { display: 'page' },
      });
      expect(url.searchParams.get('display')).to.equal('page');
      let refused: unknown;
      await client
        .createAuthorizationURL('s', 'v'.repeat(43), { extraParams: { scope: 'admin' } })
        .catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(ConfigurationError);
    });
  });
});
