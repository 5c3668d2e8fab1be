import { expect } from 'chai';
import nock from 'nock';
import { AuthorizationError, ConfigurationError, IdTokenError, TokenError, UserInfoError } from '../../../lib/core/errors.js';
import {
  OktaStrategy,
  type OktaProfile,
  type OktaStrategyOptions,
  type OktaTokens,
  type VerifyFunction,
} from '../../../lib/index.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, FakeOkta, mockedOkta } from '../../support/okta-mock.js';
import { request, run, type Outcome } from '../../support/passport.js';

type Session = Record<string, unknown>;

const keepUser: VerifyFunction = (_tokens, profile, done) => done(null, { id: profile.id });

function makeStrategy(
  okta: FakeOkta,
  options: Partial<OktaStrategyOptions> = {},
  verify: VerifyFunction = keepUser,
): OktaStrategy {
  return new OktaStrategy(
    {
      oktaDomain: DOMAIN,
      authServerId: okta.authServerId,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: '/auth/okta/callback',
      scope: ['openid', 'profile', 'email'],
      ...options,
    },
    verify,
  );
}

/** Starts a sign-in and returns what was sent to Okta. */
async function start(
  strategy: OktaStrategy,
  session: Session,
  options?: object,
): Promise<{ url: URL; state: string; nonce: string }> {
  const outcome = await run(strategy, request({ url: '/login', session }), options);
  if (outcome.kind !== 'redirect') throw new Error(`expected a redirect, got ${outcome.kind}`);
  const url = new URL(outcome.url);
  return { url, state: url.searchParams.get('state')!, nonce: url.searchParams.get('nonce')! };
}

/** Mocks Okta's token and keys endpoints for one code exchange. */
async function mockExchange(
  okta: FakeOkta,
  nonce: string,
  claims: Record<string, unknown> = {},
  body: Record<string, unknown> = {},
): Promise<nock.Scope> {
  const idToken = await okta.sign(okta.claims(nonce, claims));
  okta.mockKeys();
  return okta
    .scope()
    .post(`${okta.path}/token`)
    .reply(200, okta.tokenBody(idToken, { scope: 'openid', ...body }));
}

function callback(session: Session, query: Record<string, unknown>): ReturnType<typeof request> {
  return request({ url: '/auth/okta/callback', query, session });
}

function expectKind<K extends Outcome['kind']>(outcome: Outcome, kind: K): Extract<Outcome, { kind: K }> {
  expect(
    outcome.kind,
    JSON.stringify(outcome, (_k, v: unknown) => (v instanceof Error ? v.message : v)),
  ).to.equal(kind);
  return outcome as Extract<Outcome, { kind: K }>;
}

describe('OktaStrategy', () => {
  const currentOkta = mockedOkta();
  let okta: FakeOkta;
  beforeEach(() => {
    okta = currentOkta();
  });

  describe('constructor', () => {
    it("is named 'okta' unless the name option says otherwise", () => {
      expect(makeStrategy(okta).name).to.equal('okta');
      expect(makeStrategy(okta, { name: 'okta-eu' }).name).to.equal('okta-eu');
    });

    it('exposes its client with the right issuer', () => {
      expect(makeStrategy(okta).client.issuer).to.equal(okta.issuer);
      expect(makeStrategy(new FakeOkta(null)).client.issuer).to.equal(DOMAIN);
    });

    it('refuses bad options with a ConfigurationError naming them', () => {
      expect(() => makeStrategy(okta, { callbackURL: '' })).to.throw(ConfigurationError, /callbackURL/);
      expect(() => makeStrategy(okta, { oktaDomain: 'https://acme.okta.com/' })).to.throw(ConfigurationError, /oktaDomain/);
      expect(() => makeStrategy(okta, { userInfo: 'sometimes' as 'auto' })).to.throw(ConfigurationError, /userInfo/);
      expect(() => makeStrategy(okta, { responseMode: 'fragment' as 'query' })).to.throw(ConfigurationError, /responseMode/);
      expect(() => new OktaStrategy({ ...({} as OktaStrategyOptions) }, keepUser)).to.throw(ConfigurationError);
      expect(
        () =>
          new OktaStrategy(
            { oktaDomain: DOMAIN, clientID: CLIENT_ID, clientSecret: 'x', callbackURL: '/cb' },
            undefined as unknown as VerifyFunction,
          ),
      ).to.throw(ConfigurationError, /verify/);
    });
  });

  describe('start', () => {
    it('redirects to Okta with a fresh state, PKCE challenge and nonce, and keeps them in the session', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const first = await start(strategy, session);
      const second = await start(strategy, session);
      expect(first.url.origin + first.url.pathname).to.equal(`${okta.issuer}/v1/authorize`);
      expect(first.url.searchParams.get('redirect_uri')).to.equal('https://app.example/auth/okta/callback');
      expect(first.url.searchParams.get('code_challenge_method')).to.equal('S256');
      expect(first.url.searchParams.get('scope')).to.equal('openid profile email');
      // 32 random bytes, base64url: 256 bits, well above the 128 required.
      expect(first.state).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(first.nonce).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(first.state).to.not.equal(second.state);
      expect(first.nonce).to.not.equal(second.nonce);
      const pending = (session['passport-okta-oidc'] as Record<string, Array<{ state: string; codeVerifier: string }>>).okta!;
      expect(pending.map((p) => p.state)).to.deep.equal([first.state, second.state]);
      expect(pending[0]!.codeVerifier).to.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it('resolves a path callbackURL from the request protocol and host with its port', async () => {
      const strategy = makeStrategy(okta);
      const outcome = await run(strategy, request({ url: '/login', headers: { host: 'localhost:3000' }, protocol: 'http' }));
      const url = new URL(expectKind(outcome, 'redirect').url);
      expect(url.searchParams.get('redirect_uri')).to.equal('http://localhost:3000/auth/okta/callback');
    });

    it('uses an absolute callbackURL as it is', async () => {
      const strategy = makeStrategy(okta, { callbackURL: 'https://login.example/cb' });
      const { url } = await start(strategy, {});
      expect(url.searchParams.get('redirect_uri')).to.equal('https://login.example/cb');
    });

    it('passes per-request options to Okta', async () => {
      const { url } = await start(
        makeStrategy(okta),
        {},
        {
          scope: ['email', 'groups'],
          prompt: 'login',
          loginHint: 'bob@example.com',
          maxAge: 60,
          acrValues: 'urn:okta:loa:2fa:any',
          idp: '0oa-idp',
        },
      );
      expect(url.searchParams.get('scope')).to.equal('openid email groups');
      expect(url.searchParams.get('prompt')).to.equal('login');
      expect(url.searchParams.get('login_hint')).to.equal('bob@example.com');
      expect(url.searchParams.get('max_age')).to.equal('60');
      expect(url.searchParams.get('acr_values')).to.equal('urn:okta:loa:2fa:any');
      expect(url.searchParams.get('idp')).to.equal('0oa-idp');
    });

    it('asks for response_mode=form_post when configured', async () => {
      const { url } = await start(makeStrategy(okta, { responseMode: 'form_post' }), {});
      expect(url.searchParams.get('response_mode')).to.equal('form_post');
    });

    it('reports a clear error when there is no session', async () => {
      const outcome = await run(makeStrategy(okta), request({ url: '/login', session: null }));
      expect(expectKind(outcome, 'error').error)
        .to.be.instanceOf(ConfigurationError)
        .and.match(/express-session/);
    });

    it('refuses app state that is not JSON or too large', async () => {
      const big = await run(makeStrategy(okta), request({ url: '/login' }), { state: { blob: 'x'.repeat(5000) } });
      expect(expectKind(big, 'error').error)
        .to.be.instanceOf(ConfigurationError)
        .and.match(/2048 bytes/);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad = await run(makeStrategy(okta), request({ url: '/login' }), { state: cyclic });
      expect(expectKind(bad, 'error').error).to.be.instanceOf(ConfigurationError).and.match(/JSON/);
    });

    it('keeps at most 10 pending sign-ins per session, dropping the oldest', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const states: string[] = [];
      for (let i = 0; i < 12; i++) states.push((await start(strategy, session)).state);
      const outcome = await run(strategy, callback(session, { code: 'c', state: states[0] }));
      expect(expectKind(outcome, 'fail').status).to.equal(403);
      expect(((session['passport-okta-oidc'] as Record<string, unknown[]>).okta ?? []).length).to.equal(10);
    });
  });

  describe('callback', () => {
    it('exchanges the code, verifies the ID token and signs the user in', async () => {
      let seen: { tokens?: OktaTokens; profile?: OktaProfile } = {};
      const strategy = makeStrategy(okta, { userInfo: false }, (tokens, profile, done) => {
        seen = { tokens, profile };
        done(null, { id: profile.id }, { note: 'welcome' });
      });
      const session: Session = {};
      const { state, nonce } = await start(strategy, session, { state: { returnTo: '/reports' } });
      const token = await mockExchange(okta, nonce);
      const outcome = await run(strategy, callback(session, { code: 'the-code', state }));
      token.done();
      const success = expectKind(outcome, 'success');
      expect(success.user).to.deep.equal({ id: '00u1alice' });
      const { claims, ...info } = success.info as { claims: Record<string, unknown> };
      expect(info).to.deep.equal({ note: 'welcome', state: { returnTo: '/reports' } });
      // The verified claims, for oktaSession's sign-in record.
      expect(claims).to.include({ sub: '00u1alice', iss: 'https://acme.okta.com/oauth2/default', email: 'alice@example.com' });
      expect(seen.tokens!.accessToken).to.equal('at-0123456789abcdef');
      expect(seen.profile!).to.include({
        provider: 'okta',
        id: '00u1alice',
        displayName: 'Alice Example',
        username: 'alice@example.com',
      });
      expect(seen.profile!.emails).to.deep.equal([{ value: 'alice@example.com', verified: undefined }]);
      expect(session['passport-okta-oidc'], 'the used entry is gone').to.equal(undefined);
    });

    it('sends the same redirect_uri and the stored verifier to the token endpoint', async () => {
      const strategy = makeStrategy(okta, { userInfo: false });
      const session: Session = {};
      const { state, nonce } = await start(strategy, session);
      const verifier = (session['passport-okta-oidc'] as Record<string, Array<{ codeVerifier: string }>>).okta![0]!.codeVerifier;
      let form = new URLSearchParams();
      okta.mockKeys();
      const idToken = await okta.sign(okta.claims(nonce));
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply((_uri, body) => {
          form = new URLSearchParams(body as string);
          return [200, okta.tokenBody(idToken)];
        });
      expectKind(await run(strategy, callback(session, { code: 'the-code', state })), 'success');
      expect(form.get('redirect_uri')).to.equal('https://app.example/auth/okta/callback');
      expect(form.get('code_verifier')).to.equal(verifier);
      expect(form.get('code')).to.equal('the-code');
    });

    it('fails with 403 and calls nobody when the state is unknown (login CSRF)', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      await start(strategy, session);
      const token = await mockExchange(okta, 'x');
      const outcome = await run(strategy, callback(session, { code: 'c', state: 'forged-state' }));
      const failure = expectKind(outcome, 'fail');
      expect(failure.status).to.equal(403);
      expect((failure.challenge as { message: string }).message).to.match(/state/);
      expect(token.isDone()).to.equal(false);
    });

    it('fails with 403 when the state parameter is missing', async () => {
      const outcome = await run(makeStrategy(okta), callback({}, { code: 'c' }));
      expect(expectKind(outcome, 'fail').status).to.equal(403);
    });

    it('fails with 403 when the same callback comes twice (replay)', async () => {
      const strategy = makeStrategy(okta, { userInfo: false });
      const session: Session = {};
      const { state, nonce } = await start(strategy, session);
      await mockExchange(okta, nonce);
      expectKind(await run(strategy, callback(session, { code: 'c', state })), 'success');
      const replay = await run(strategy, callback(session, { code: 'c', state }));
      expect(expectKind(replay, 'fail').status).to.equal(403);
    });

    it('takes the entry out even when the exchange fails, so the state cannot be retried', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const { state } = await start(strategy, session);
      okta.scope().post(`${okta.path}/token`).reply(400, { error: 'invalid_grant' });
      expect(expectKind(await run(strategy, callback(session, { code: 'c', state })), 'error').error).to.be.instanceOf(
        TokenError,
      );
      expect(expectKind(await run(strategy, callback(session, { code: 'c', state })), 'fail').status).to.equal(403);
    });

    it('lets two tabs finish their sign-ins in any order', async () => {
      const strategy = makeStrategy(okta, { userInfo: false });
      const session: Session = {};
      const tab1 = await start(strategy, session, { state: 'tab1' });
      const tab2 = await start(strategy, session, { state: 'tab2' });
      await mockExchange(okta, tab2.nonce);
      expect(
        expectKind(await run(strategy, callback(session, { code: 'c2', state: tab2.state })), 'success').info!.state,
      ).to.equal('tab2');
      await mockExchange(okta, tab1.nonce);
      expect(
        expectKind(await run(strategy, callback(session, { code: 'c1', state: tab1.state })), 'success').info!.state,
      ).to.equal('tab1');
    });

    it("fails when one tab's state is used with the other tab's ID token nonce", async () => {
      const strategy = makeStrategy(okta, { userInfo: false });
      const session: Session = {};
      const tab1 = await start(strategy, session);
      const tab2 = await start(strategy, session);
      await mockExchange(okta, tab2.nonce);
      const outcome = await run(strategy, callback(session, { code: 'c', state: tab1.state }));
      expect(expectKind(outcome, 'error').error).to.be.instanceOf(IdTokenError).with.property('claim', 'nonce');
    });

    it('fails a sign-in that took longer than stateMaxAge', async () => {
      let now = Date.now();
      const strategy = makeStrategy(okta, { now: () => now, stateMaxAge: 60_000 });
      const session: Session = {};
      const { state } = await start(strategy, session);
      now += 61_000;
      const outcome = await run(strategy, callback(session, { code: 'c', state }));
      const failure = expectKind(outcome, 'fail');
      expect(failure.status).to.equal(403);
    });

    it('refuses a pending login made by a strategy with another name', async () => {
      const eu = makeStrategy(okta, { name: 'okta-eu' });
      const us = makeStrategy(okta, { name: 'okta-us' });
      const session: Session = {};
      const { state } = await start(eu, session);
      expect(expectKind(await run(us, callback(session, { code: 'c', state })), 'fail').status).to.equal(403);
    });

    it('refuses an iss parameter naming another issuer (mix-up)', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const { state } = await start(strategy, session);
      const outcome = await run(strategy, callback(session, { code: 'c', state, iss: 'https://evil.okta.com' }));
      expect(expectKind(outcome, 'fail').status).to.equal(403);
    });

    for (const error of [
      'access_denied',
      'login_required',
      'consent_required',
      'interaction_required',
      'user_canceled_request',
    ]) {
      it(`fails with Okta's description when Okta answers ${error}`, async () => {
        const strategy = makeStrategy(okta);
        const session: Session = {};
        const { state } = await start(strategy, session);
        const outcome = await run(
          strategy,
          callback(session, { error, error_description: 'User is not assigned to the client application.', state }),
        );
        const failure = expectKind(outcome, 'fail');
        // The OAuth error goes with the message, for a custom callback to tell them apart.
        expect(failure.challenge).to.deep.equal({ message: 'User is not assigned to the client application.', error });
      });
    }

    it("carries the sign-in's app state on a failure Okta reported, for the custom callback", async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const { state } = await start(strategy, session, { state: { returnTo: '/reports', silent: true } });
      const outcome = await run(strategy, callback(session, { error: 'login_required', state }));
      const failure = expectKind(outcome, 'fail');
      expect(failure.challenge).to.deep.equal({
        message: 'login_required',
        error: 'login_required',
        state: { returnTo: '/reports', silent: true },
      });
    });

    it('reports any other Okta error as an AuthorizationError', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const { state } = await start(strategy, session);
      const outcome = await run(
        strategy,
        callback(session, { error: 'invalid_scope', error_description: 'bad scope', error_uri: 'https://x', state }),
      );
      const error = expectKind(outcome, 'error').error as AuthorizationError;
      expect(error).to.be.instanceOf(AuthorizationError);
      expect(error).to.include({
        code: 'ERR_OKTA_AUTHORIZATION',
        error: 'invalid_scope',
        description: 'bad scope',
        uri: 'https://x',
      });
    });

    it('fails with 400 on repeated or oversized parameters without calling Okta', async () => {
      const strategy = makeStrategy(okta);
      expect(expectKind(await run(strategy, callback({}, { code: ['a', 'b'], state: 's' })), 'fail').status).to.equal(400);
      expect(expectKind(await run(strategy, callback({}, { code: 'x'.repeat(10_000), state: 's' })), 'fail').status).to.equal(
        400,
      );
    });

    it('reads a form_post callback from the body', async () => {
      const strategy = makeStrategy(okta, { responseMode: 'form_post', userInfo: false });
      const session: Session = {};
      const { state, nonce } = await start(strategy, session);
      await mockExchange(okta, nonce);
      const req = request({ method: 'POST', url: '/auth/okta/callback', query: {}, body: { code: 'c', state }, session });
      expectKind(await run(strategy, req), 'success');
    });

    it('reports a POSTed callback without a parsed body as a configuration error', async () => {
      const req = request({ method: 'POST', url: '/auth/okta/callback', query: {}, body: undefined });
      expect(expectKind(await run(makeStrategy(okta, { responseMode: 'form_post' }), req), 'error').error)
        .to.be.instanceOf(ConfigurationError)
        .and.match(/urlencoded/);
    });

    it('starts a new sign-in when the request is not a callback', async () => {
      expectKind(await run(makeStrategy(okta), callback({}, { state: 'only-state' })), 'redirect');
    });
  });

  describe('verify function', () => {
    async function signIn(strategy: OktaStrategy): Promise<Outcome> {
      const session: Session = {};
      const { state, nonce } = await start(strategy, session);
      await mockExchange(okta, nonce);
      return run(strategy, callback(session, { code: 'c', state }));
    }

    it('accepts a returned promise of the user', async () => {
      const strategy = makeStrategy(okta, { userInfo: false }, async (_tokens, profile) => ({
        email: profile.emails?.[0]?.value,
      }));
      expect(expectKind(await signIn(strategy), 'success').user).to.deep.equal({ email: 'alice@example.com' });
    });

    it('fails when the promise resolves to false', async () => {
      const strategy = makeStrategy(okta, { userInfo: false }, async () => false);
      expect(expectKind(await signIn(strategy), 'fail').status).to.equal(401);
    });

    it('fails with the info message when done gives no user', async () => {
      const strategy = makeStrategy(okta, { userInfo: false }, (_t, _p, done) => done(null, false, { message: 'Not invited' }));
      expect(expectKind(await signIn(strategy), 'fail').challenge).to.deep.equal({ message: 'Not invited' });
    });

    it('reports an error when the verify function throws, rejects, or passes an error to done', async () => {
      const boom = new Error('database down');
      const variants: VerifyFunction[] = [
        () => {
          throw boom;
        },
        async () => {
          throw boom;
        },
        (_t, _p, done) => done(boom),
      ];
      for (const verify of variants) {
        const outcome = await signIn(makeStrategy(okta, { userInfo: false }, verify));
        expect(expectKind(outcome, 'error').error).to.equal(boom);
      }
    });

    it('lets done decide when the function declares it, even if it is async', async () => {
      const strategy = makeStrategy(okta, { userInfo: false }, async (_t, profile, done) => {
        await new Promise((r) => setTimeout(r, 5));
        done(null, { late: profile.id });
        return undefined;
      });
      expect(expectKind(await signIn(strategy), 'success').user).to.deep.equal({ late: '00u1alice' });
    });

    it('passes the request first with passReqToCallback', async () => {
      const strategy = new OktaStrategy(
        {
          oktaDomain: DOMAIN,
          authServerId: 'default',
          clientID: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          callbackURL: '/auth/okta/callback',
          userInfo: false,
          passReqToCallback: true,
        },
        async (req, _tokens, profile) => ({ id: profile.id, path: req.url }),
      );
      expect(expectKind(await signIn(strategy), 'success').user).to.deep.equal({ id: '00u1alice', path: '/auth/okta/callback' });
    });
  });

  describe('userinfo', () => {
    async function signIn(
      strategy: OktaStrategy,
      scope: string,
      userinfo?: Record<string, unknown>,
    ): Promise<{ outcome: Outcome; profile?: OktaProfile }> {
      const session: Session = {};
      const { state, nonce } = await start(strategy, session);
      await mockExchange(okta, nonce, {}, { scope });
      if (userinfo)
        okta.scope().get(`${okta.path}/userinfo`).matchHeader('authorization', 'Bearer at-0123456789abcdef').reply(200, userinfo);
      const outcome = await run(strategy, callback(session, { code: 'c', state }));
      return { outcome, profile: outcome.kind === 'success' ? (outcome.user as { profile: OktaProfile }).profile : undefined };
    }
    const keepProfile: VerifyFunction = async (_t, profile) => ({ profile });

    it("fetches userinfo in 'auto' mode when the thin ID token lacks the profile claims, and maps them", async () => {
      const { profile } = await signIn(makeStrategy(okta, {}, keepProfile), 'openid profile email groups', {
        sub: '00u1alice',
        name: 'Alice Example',
        given_name: 'Alice',
        family_name: 'Example',
        email: 'alice@example.com',
        email_verified: true,
        picture: 'https://img.example/alice.png',
        groups: ['Everyone', 'Admins'],
      });
      expect(profile).to.deep.include({
        provider: 'okta',
        id: '00u1alice',
        displayName: 'Alice Example',
        username: 'alice@example.com',
        name: { givenName: 'Alice', familyName: 'Example', middleName: undefined },
        emails: [{ value: 'alice@example.com', verified: true }],
        photos: [{ value: 'https://img.example/alice.png' }],
        groups: ['Everyone', 'Admins'],
      });
      expect(profile!._json).to.include({ iss: okta.issuer, given_name: 'Alice' });
      expect(JSON.parse(profile!._raw)).to.include({ given_name: 'Alice' });
    });

    it("does not fetch userinfo in 'auto' mode for openid alone", async () => {
      const { outcome, profile } = await signIn(makeStrategy(okta, {}, keepProfile), 'openid');
      expectKind(outcome, 'success');
      expect(profile!.name).to.equal(undefined);
      expect(nock.pendingMocks()).to.deep.equal([]);
    });

    it('always fetches userinfo when userInfo is true', async () => {
      const { profile } = await signIn(makeStrategy(okta, { userInfo: true }, keepProfile), 'openid', {
        sub: '00u1alice',
        locale: 'en-US',
      });
      expect(profile!._json.locale).to.equal('en-US');
    });

    it('reports an error when userinfo names another sub', async () => {
      const { outcome } = await signIn(makeStrategy(okta, {}, keepProfile), 'openid profile', {
        sub: '00u1mallory',
        given_name: 'Mallory',
      });
      expect(expectKind(outcome, 'error').error).to.be.instanceOf(UserInfoError).with.property('code', 'ERR_OKTA_USERINFO');
    });
  });

  describe('secrets', () => {
    it('never puts the client secret, code, verifier or tokens in an error message or property', async () => {
      const strategy = makeStrategy(okta);
      const failures: unknown[] = [];
      const secrets = [CLIENT_SECRET, 'the-secret-code-123'];
      const answers: Array<(scope: nock.Interceptor, verifier: string) => nock.Scope> = [
        (i, v) =>
          i.reply(400, { error: 'invalid_grant', error_description: `bad code the-secret-code-123 / ${v} / ${CLIENT_SECRET}` }),
        (i, v) => i.reply(401, { error: `invalid_client ${CLIENT_SECRET} ${v}` }),
        (i) => i.reply(500, `<html>the-secret-code-123 ${CLIENT_SECRET}</html>`),
        (i) => i.reply(200, { access_token: 'at-leak-me', token_type: 'Bearer', expires_in: 60, id_token: 'not.a.jwt' }),
        (i) => i.reply(429, { errorCode: 'E0000047' }, { 'x-rate-limit-reset': '1' }),
      ];
      for (const answer of answers) {
        const session: Session = {};
        const { state } = await start(strategy, session);
        const verifier = (session['passport-okta-oidc'] as Record<string, Array<{ codeVerifier: string }>>).okta![0]!
          .codeVerifier;
        secrets.push(verifier);
        okta.mockKeys();
        answer(okta.scope().post(`${okta.path}/token`), verifier);
        const outcome = await run(strategy, callback(session, { code: 'the-secret-code-123', state }));
        failures.push(expectKind(outcome, 'error').error);
      }
      secrets.push('at-leak-me', 'not.a.jwt');
      for (const err of failures) {
        const text =
          JSON.stringify(err, Object.getOwnPropertyNames(err)) +
          String((err as Error).message) +
          JSON.stringify({ ...(err as object) });
        for (const secret of secrets) expect(text, `${(err as Error).name} leaks a secret`).to.not.contain(secret);
      }
    });
  });
});
