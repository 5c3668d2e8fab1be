import { expect } from 'chai';
import { decodeJwt } from 'jose';
import nock from 'nock';
import { createHash } from 'node:crypto';
import {
  ConfigurationError,
  IdTokenError,
  RateLimitError,
  RequestError,
  ResponseError,
  TokenError,
  UserInfoError,
} from '../../../lib/core/errors.js';
import { OktaClient, type OktaClientOptions } from '../../../lib/client.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, FakeOkta, makeKey, rateLimitedBody, REDIRECT_URI } from '../../support/okta-mock.js';

const VERIFIER = 'verifier-0123456789-0123456789-0123456789-abc';
const CODE = 'code-abcdef0123456789';

function makeClient(okta: FakeOkta, options: OktaClientOptions = {}): OktaClient {
  return new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { authServerId: okta.authServerId, ...options });
}

/** Runs `fn` and returns what it threw, failing the test if it did not throw. */
async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('OktaClient', () => {
  before(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  after(() => {
    nock.enableNetConnect();
  });

  describe('configuration', () => {
    it('accepts a domain with or without https:// and builds the custom server endpoints', () => {
      for (const domain of ['acme.okta.com', 'https://acme.okta.com']) {
        const client = new OktaClient(domain, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { authServerId: 'default' });
        expect(client.issuer).to.equal('https://acme.okta.com/oauth2/default');
        expect(client.endpoints).to.deep.equal({
          issuer: 'https://acme.okta.com/oauth2/default',
          authorize: 'https://acme.okta.com/oauth2/default/v1/authorize',
          token: 'https://acme.okta.com/oauth2/default/v1/token',
          keys: 'https://acme.okta.com/oauth2/default/v1/keys',
          userinfo: 'https://acme.okta.com/oauth2/default/v1/userinfo',
          revoke: 'https://acme.okta.com/oauth2/default/v1/revoke',
          logout: 'https://acme.okta.com/oauth2/default/v1/logout',
          par: 'https://acme.okta.com/oauth2/default/v1/par',
          introspect: 'https://acme.okta.com/oauth2/default/v1/introspect',
        });
      }
    });

    it('builds the org authorization server endpoints when authServerId is omitted', () => {
      const client = new OktaClient('acme.okta.com', CLIENT_ID, CLIENT_SECRET, REDIRECT_URI);
      expect(client.issuer).to.equal('https://acme.okta.com');
      expect(client.endpoints.authorize).to.equal('https://acme.okta.com/oauth2/v1/authorize');
      expect(client.endpoints.token).to.equal('https://acme.okta.com/oauth2/v1/token');
      expect(client.endpoints.keys).to.equal('https://acme.okta.com/oauth2/v1/keys');
      expect(client.endpoints.logout).to.equal('https://acme.okta.com/oauth2/v1/logout');
    });

    it('refuses a trailing slash, a path, plain http to a non-loopback host, and junk', () => {
      const bad = [
        'https://acme.okta.com/',
        'https://acme.okta.com/oauth2/default',
        'http://acme.okta.com',
        'ftp://acme.okta.com',
        '',
        'https://',
      ];
      for (const domain of bad) {
        expect(() => new OktaClient(domain, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI), domain)
          .to.throw(ConfigurationError)
          .with.property('code', 'ERR_OKTA_CONFIGURATION');
      }
    });

    it('allows plain http for loopback hosts only', () => {
      expect(new OktaClient('http://127.0.0.1:8080', CLIENT_ID, CLIENT_SECRET, REDIRECT_URI).issuer).to.equal(
        'http://127.0.0.1:8080',
      );
      expect(new OktaClient('http://localhost:8080', CLIENT_ID, CLIENT_SECRET, REDIRECT_URI).issuer).to.equal(
        'http://localhost:8080',
      );
    });

    it('keeps the endpoints of oktaDomain and expects the iss of the issuer option (custom URL domains)', async () => {
      const okta = await FakeOkta.create();
      const client = new OktaClient('https://login.example.com', CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, {
        authServerId: 'default',
        issuer: okta.issuer,
      });
      expect(client.issuer).to.equal('https://acme.okta.com/oauth2/default');
      expect(client.endpoints.issuer).to.equal('https://acme.okta.com/oauth2/default');
      expect(client.endpoints.token).to.equal('https://login.example.com/oauth2/default/v1/token');
      nock('https://login.example.com')
        .post('/oauth2/default/v1/token')
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined))))
        .get('/oauth2/default/v1/keys')
        .reply(200, { keys: [okta.key.jwk] });
      const tokens = await client.validateAuthorizationCode(CODE, VERIFIER);
      expect(decodeJwt(tokens.idToken).iss).to.equal('https://acme.okta.com/oauth2/default');
    });

    it('names the bad option in its message', () => {
      expect(() => new OktaClient(DOMAIN, '', CLIENT_SECRET, REDIRECT_URI)).to.throw(ConfigurationError, /clientID/);
      expect(() => new OktaClient(DOMAIN, CLIENT_ID, '', REDIRECT_URI)).to.throw(ConfigurationError, /clientSecret/);
      expect(() => new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { authServerId: 'a/b' })).to.throw(
        /authServerId/,
      );
      expect(() => new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { timeout: -1 })).to.throw(/timeout/);
      expect(() => new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { trustedAudiences: [''] })).to.throw(
        ConfigurationError,
        /trustedAudiences/,
      );
      expect(
        () => new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { idTokenSigningAlgorithms: ['HS256'] }),
      ).to.throw(/idTokenSigningAlgorithms/);
      expect(
        () =>
          new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, {
            tokenEndpointAuthMethod: 'magic' as 'client_secret_post',
          }),
      ).to.throw(/tokenEndpointAuthMethod/);
    });
  });

  describe('createAuthorizationURL', () => {
    it('builds the exact authorize URL with PKCE S256 for the custom server', async () => {
      const okta = await FakeOkta.create('default');
      const url = await makeClient(okta).createAuthorizationURL('state-1', VERIFIER, {
        scopes: ['profile', 'email'],
        nonce: 'n-1',
      });
      const challenge = createHash('sha256').update(VERIFIER).digest('base64url');
      expect(url.origin + url.pathname).to.equal('https://acme.okta.com/oauth2/default/v1/authorize');
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile email',
        state: 'state-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        nonce: 'n-1',
      });
      expect(challenge).to.not.match(/[=+/]/);
    });

    it('matches the RFC 7636 Appendix B example challenge', async () => {
      const okta = await FakeOkta.create(null);
      const url = await makeClient(okta).createAuthorizationURL('s', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
      expect(url.searchParams.get('code_challenge')).to.equal('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      expect(url.origin + url.pathname).to.equal('https://acme.okta.com/oauth2/v1/authorize');
    });

    it('includes openid exactly once and keeps the other scopes in order', async () => {
      const okta = await FakeOkta.create();
      const client = makeClient(okta);
      expect((await client.createAuthorizationURL('s', VERIFIER)).searchParams.get('scope')).to.equal('openid');
      const url = await client.createAuthorizationURL('s', VERIFIER, { scopes: ['email', 'openid', 'profile', 'email'] });
      expect(url.searchParams.get('scope')).to.equal('openid email profile');
    });

    it('adds Okta parameters only when given', async () => {
      const okta = await FakeOkta.create();
      const url = await makeClient(okta).createAuthorizationURL('s', VERIFIER, {
        prompt: 'login consent',
        loginHint: 'alice@example.com',
        maxAge: 300,
        acrValues: 'urn:okta:loa:2fa:any',
        idp: '0oa1idp',
        responseMode: 'form_post',
      });
      expect(url.searchParams.get('prompt')).to.equal('login consent');
      expect(url.searchParams.get('login_hint')).to.equal('alice@example.com');
      expect(url.searchParams.get('max_age')).to.equal('300');
      expect(url.searchParams.get('acr_values')).to.equal('urn:okta:loa:2fa:any');
      expect(url.searchParams.get('idp')).to.equal('0oa1idp');
      expect(url.searchParams.get('response_mode')).to.equal('form_post');
      const plain = await makeClient(okta).createAuthorizationURL('s', VERIFIER);
      expect([...plain.searchParams.keys()].sort()).to.deep.equal(
        ['client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_type', 'scope', 'state'].sort(),
      );
    });
  });

  describe('validateAuthorizationCode', () => {
    it('sends client_secret_basic with form-encoded id and secret, and returns typed tokens', async () => {
      const okta = await FakeOkta.create();
      const idToken = await okta.sign(okta.claims('n-1'));
      let seen: { auth?: string; body?: string } = {};
      const token = okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(function (_uri, body) {
          seen = { auth: this.req.headers.authorization as string, body: body as string };
          return [200, okta.tokenBody(idToken, { refresh_token: 'rt-1', scope: 'openid profile offline_access' })];
        });
      const keys = okta.mockKeys();
      const before = Date.now();
      const tokens = await makeClient(okta).validateAuthorizationCode(CODE, VERIFIER, { nonce: 'n-1' });
      token.done();
      keys.done();
      // RFC 6749 §2.3.1: form-urlencode each part, then base64 "id:secret".
      const expected = Buffer.from(`${CLIENT_ID}:sec%3Aret%25with%2Bodd+chars`).toString('base64');
      expect(seen.auth).to.equal(`Basic ${expected}`);
      const form = new URLSearchParams(seen.body);
      expect(Object.fromEntries(form)).to.deep.equal({
        grant_type: 'authorization_code',
        code: CODE,
        code_verifier: VERIFIER,
        redirect_uri: REDIRECT_URI,
      });
      expect(tokens.accessToken).to.equal('at-0123456789abcdef');
      expect(tokens.refreshToken).to.equal('rt-1');
      expect(tokens.idToken).to.equal(idToken);
      expect(tokens.tokenType).to.equal('Bearer');
      expect(tokens.scopes).to.deep.equal(['openid', 'profile', 'offline_access']);
      expect(tokens.accessTokenExpiresAt).to.be.instanceOf(Date);
      const expiresIn = tokens.accessTokenExpiresAt.getTime() - before;
      expect(expiresIn).to.be.within(3_599_000, 3_601_000);
    });

    it('sends client_secret_post in the body and no Authorization header', async () => {
      const okta = await FakeOkta.create();
      const idToken = await okta.sign(okta.claims(undefined));
      let seen: { auth?: string; body?: string } = {};
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(function (_uri, body) {
          seen = { auth: this.req.headers.authorization as string | undefined, body: body as string };
          return [200, okta.tokenBody(idToken)];
        });
      okta.mockKeys();
      const tokens = await makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_post' }).validateAuthorizationCode(
        CODE,
        VERIFIER,
      );
      expect(seen.auth).to.equal(undefined);
      const form = new URLSearchParams(seen.body);
      expect(form.get('client_id')).to.equal(CLIENT_ID);
      expect(form.get('client_secret')).to.equal(CLIENT_SECRET);
      expect(tokens.refreshToken).to.equal(null);
    });

    it('fetches the key set once and reuses it for later sign-ins', async () => {
      const okta = await FakeOkta.create();
      const client = makeClient(okta);
      const keys = okta.mockKeys(1);
      for (let i = 0; i < 3; i++) {
        okta
          .scope()
          .post(`${okta.path}/token`)
          .reply(200, okta.tokenBody(await okta.sign(okta.claims(`n${i}`))));
        await client.validateAuthorizationCode(CODE, VERIFIER, { nonce: `n${i}` });
      }
      keys.done();
      expect(nock.pendingMocks()).to.deep.equal([]);
    });

    const oauthFailures: Array<[number, string]> = [
      [400, 'invalid_grant'],
      [401, 'invalid_client'],
    ];
    for (const [status, error] of oauthFailures) {
      it(`turns a ${status} ${error} into a TokenError with Okta's fields`, async () => {
        const okta = await FakeOkta.create();
        okta
          .scope()
          .post(`${okta.path}/token`)
          .reply(status, { error, error_description: `The thing failed: ${CODE}`, error_uri: 'https://help.example/e' });
        const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
        expect(err).to.be.instanceOf(TokenError);
        const tokenError = err as TokenError;
        expect(tokenError.code).to.equal('ERR_OKTA_TOKEN');
        expect(tokenError.oktaStatus).to.equal(status);
        expect(tokenError.status, 'what the app should answer').to.equal(502);
        expect(tokenError.error).to.equal(error);
        expect(tokenError.uri).to.equal('https://help.example/e');
        // Okta's description is kept, but never anything we sent.
        expect(tokenError.description).to.equal('The thing failed: [redacted]');
        expect(tokenError.message).to.contain(error).and.not.contain(CODE);
      });
    }

    it("keeps Okta's errorCode, errorSummary and errorId of an E0000007 404, and says what is probably wrong", async () => {
      const okta = await FakeOkta.create();
      const body = {
        errorCode: 'E0000007',
        errorSummary: 'Not found: Resource not found: default (AuthorizationServer)',
        errorLink: 'E0000007',
        errorId: 'oaeUnitTest404',
        errorCauses: [],
      };
      okta.scope().post(`${okta.path}/token`).reply(404, body);
      const err = (await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER))) as ResponseError;
      expect(err).to.be.instanceOf(ResponseError).and.not.instanceOf(TokenError);
      expect(err).to.include({
        oktaStatus: 404,
        errorCode: 'E0000007',
        errorSummary: body.errorSummary,
        errorId: 'oaeUnitTest404',
      });
      expect(err.message).to.equal(
        "Okta's token endpoint answered with unexpected status 404: the authServerId or oktaDomain is probably wrong " +
          '(Okta has no such authorization server) (E0000007: Not found: Resource not found: default (AuthorizationServer), ' +
          'errorId oaeUnitTest404)',
      );
    });

    it('turns a 429 into a RateLimitError with the X-Rate-Limit values', async () => {
      const okta = await FakeOkta.create();
      const reset = Math.floor(Date.now() / 1000) + 42;
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(
          429,
          { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
          { 'X-Rate-Limit-Limit': '600', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String(reset) },
        );
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
      expect(err).to.be.instanceOf(RateLimitError).and.instanceOf(ResponseError);
      const rateLimited = err as RateLimitError;
      expect(rateLimited.code).to.equal('ERR_OKTA_RATE_LIMITED');
      expect(rateLimited.oktaStatus).to.equal(429);
      expect(rateLimited.status, 'what the app should answer').to.equal(503);
      expect(rateLimited.rateLimit).to.deep.equal({ limit: 600, remaining: 0, reset: new Date(reset * 1000) });
    });

    describe("a 429's reset, from X-Rate-Limit-Reset or else Retry-After (RFC 9110 §10.2.3)", () => {
      // A fixed clock, so that Retry-After in seconds gives an exact date.
      const NOW = Date.UTC(2031, 4, 6, 7, 8, 9);

      async function rateLimitOf(headers: Record<string, string>): Promise<RateLimitError> {
        const okta = await FakeOkta.create();
        okta
          .scope()
          .post(`${okta.path}/token`)
          .reply(429, rateLimitedBody(), { 'Content-Type': 'application/json', ...headers });
        const err = await caught(() => makeClient(okta, { now: () => NOW }).refreshAccessToken('rt-0123456789'));
        expect(err).to.be.instanceOf(RateLimitError);
        return err as RateLimitError;
      }

      it('reads Retry-After in seconds from the moment the answer came, when Okta sends no X-Rate-Limit-* headers', async () => {
        const err = await rateLimitOf({ 'Retry-After': '42' });
        expect(err.rateLimit).to.deep.equal({ limit: undefined, remaining: undefined, reset: new Date(NOW + 42_000) });
        expect(err.message).to.contain(new Date(NOW + 42_000).toISOString());
      });

      for (const [form, value] of [
        ['an IMF-fixdate', 'Tue, 06 May 2031 07:09:00 GMT'],
        ['the obsolete RFC 850 form', 'Tuesday, 06-May-31 07:09:00 GMT'],
        ['the obsolete asctime form (always UTC)', 'Tue May  6 07:09:00 2031'],
      ] as const) {
        it(`reads Retry-After as ${form}`, async () => {
          expect((await rateLimitOf({ 'Retry-After': value })).rateLimit.reset).to.deep.equal(new Date('2031-05-06T07:09:00Z'));
        });
      }

      it('prefers X-Rate-Limit-Reset to Retry-After, and reads the other X-Rate-Limit-* headers with both', async () => {
        const reset = NOW / 1000 + 17;
        const err = await rateLimitOf({
          'X-Rate-Limit-Limit': '50',
          'X-Rate-Limit-Remaining': '0',
          'X-Rate-Limit-Reset': String(reset),
          'Retry-After': '600',
        });
        expect(err.rateLimit).to.deep.equal({ limit: 50, remaining: 0, reset: new Date(reset * 1000) });
      });

      it('ignores values that are neither seconds nor an HTTP date, and falls back to Retry-After when X-Rate-Limit-Reset is bad', async () => {
        for (const bad of [
          '',
          'soon',
          '-5',
          '1.5',
          '30s',
          '0x1f',
          '2031-05-06T07:09:00Z',
          'Tue, 06 May 2031 25:09:00 GMT',
          'Tue, 06 May 2031 07:09:00 PST',
        ]) {
          const err = await rateLimitOf({ 'Retry-After': bad });
          expect(err.rateLimit.reset, JSON.stringify(bad)).to.equal(undefined);
          expect(err.message).to.not.contain('resets at');
        }
        const fallback = await rateLimitOf({ 'X-Rate-Limit-Reset': 'tomorrow', 'X-Rate-Limit-Limit': '', 'Retry-After': '5' });
        expect(fallback.rateLimit).to.deep.equal({ limit: undefined, remaining: undefined, reset: new Date(NOW + 5000) });
      });
    });

    it('turns a 500 with an HTML page into a ResponseError without the page in the message', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(500, '<html><body>Internal error</body></html>', { 'content-type': 'text/html' });
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
      expect(err).to.be.instanceOf(ResponseError).with.property('oktaStatus', 500);
      expect(err.message).to.not.contain('<html>');
      expect((err as ResponseError).code).to.equal('ERR_OKTA_RESPONSE');
    });

    it('turns a 200 that is not JSON into a ResponseError', async () => {
      const okta = await FakeOkta.create();
      okta.scope().post(`${okta.path}/token`).reply(200, 'this is not json');
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
      expect(err)
        .to.be.instanceOf(ResponseError)
        .and.match(/not JSON/);
    });

    it('refuses a token response without a usable expires_in, token_type or id_token', async () => {
      const okta = await FakeOkta.create();
      const idToken = await okta.sign(okta.claims(undefined));
      const broken: Array<[Record<string, unknown>, RegExp]> = [
        [{ ...okta.tokenBody(idToken), expires_in: undefined }, /expires_in/],
        [{ ...okta.tokenBody(idToken), token_type: 'mac' }, /token_type/],
        [{ ...okta.tokenBody(idToken), access_token: 42 }, /access_token/],
        [{ ...okta.tokenBody(idToken), id_token: undefined }, /id_token/],
      ];
      for (const [body, pattern] of broken) {
        okta.scope().post(`${okta.path}/token`).reply(200, body);
        const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
        expect(err, pattern.source).to.be.instanceOf(ResponseError).and.match(pattern);
      }
    });

    it('gives up on a hanging token endpoint after the timeout with a RequestError', async () => {
      const okta = await FakeOkta.create();
      okta.scope().post(`${okta.path}/token`).delay(2000).reply(200, {});
      const started = Date.now();
      const err = await caught(() => makeClient(okta, { timeout: 100 }).validateAuthorizationCode(CODE, VERIFIER));
      expect(err).to.be.instanceOf(RequestError).with.property('timeout', true);
      expect((err as RequestError).code).to.equal('ERR_OKTA_REQUEST');
      expect(Date.now() - started).to.be.below(1500);
    });

    it('reports a refused connection as a RequestError with its cause', async () => {
      const okta = await FakeOkta.create();
      okta.scope().post(`${okta.path}/token`).replyWithError('connect ECONNREFUSED 10.0.0.1:443');
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
      expect(err).to.be.instanceOf(RequestError).with.property('timeout', false);
      expect(err.cause).to.be.instanceOf(Error);
    });

    it('refuses an answer larger than 1 MiB', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, 'x'.repeat(1024 * 1024 + 1));
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER));
      expect(err)
        .to.be.instanceOf(ResponseError)
        .and.match(/larger than/);
    });

    it('uses an injected fetch for every request', async () => {
      const okta = await FakeOkta.create();
      const idToken = await okta.sign(okta.claims(undefined));
      const calls: string[] = [];
      const client = makeClient(okta, {
        fetch: async (url, init) => {
          calls.push(`${init.method} ${url}`);
          const body = url.endsWith('/keys') ? { keys: okta.keys.map((k) => k.jwk) } : okta.tokenBody(idToken);
          return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
        },
      });
      await client.validateAuthorizationCode(CODE, VERIFIER);
      // The key set is asked for first, beside the token request (no key set is cached yet).
      expect(calls).to.deep.equal([`GET ${okta.issuer}/v1/keys`, `POST ${okta.issuer}/v1/token`]);
    });
  });

  describe('ID token checks', () => {
    async function rejection(
      okta: FakeOkta,
      idToken: string,
      options: { nonce?: string; maxAge?: number } = {},
    ): Promise<IdTokenError> {
      okta.scope().post(`${okta.path}/token`).reply(200, okta.tokenBody(idToken));
      okta.mockKeys();
      const err = await caught(() => makeClient(okta).validateAuthorizationCode(CODE, VERIFIER, options));
      expect(err).to.be.instanceOf(IdTokenError);
      expect((err as IdTokenError).code).to.equal('ERR_OKTA_ID_TOKEN');
      return err as IdTokenError;
    }

    it('accepts a valid token and checks its nonce', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims('n-1'))));
      okta.mockKeys();
      const { claims } = await makeClient(okta).redeemAuthorizationCode(CODE, VERIFIER, { nonce: 'n-1' });
      expect(claims.sub).to.equal('00u1alice');
      expect(claims.nonce).to.equal('n-1');
    });

    it('rejects a token signed by another key with the same kid', async () => {
      const okta = await FakeOkta.create();
      const impostor = await makeKey(okta.key.kid);
      const err = await rejection(okta, await okta.sign(okta.claims(undefined), impostor));
      expect(err.claim).to.equal('signature');
    });

    it('rejects alg none', async () => {
      const okta = await FakeOkta.create();
      const encode = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
      const unsigned = `${encode({ alg: 'none', kid: okta.key.kid })}.${encode(okta.claims(undefined))}.`;
      const err = await rejection(okta, unsigned);
      expect(err.claim).to.equal('alg');
    });

    it('rejects HS256 signed with the public key as the secret', async () => {
      const okta = await FakeOkta.create();
      const { SignJWT } = await import('jose');
      const secret = new TextEncoder().encode(JSON.stringify(okta.key.jwk));
      const forged = await new SignJWT(okta.claims(undefined))
        .setProtectedHeader({ alg: 'HS256', kid: okta.key.kid })
        .sign(secret);
      const err = await rejection(okta, forged);
      expect(err.claim).to.equal('alg');
    });

    it('rejects a token signed with an algorithm outside the allow-list', async () => {
      const okta = await FakeOkta.create();
      okta.keys = [await makeKey('ps-key', 'PS256')];
      const err = await rejection(okta, await okta.sign(okta.claims(undefined)));
      expect(err.claim).to.equal('alg');
    });

    const claimCases: Array<[string, Record<string, unknown>, string]> = [
      ['a wrong iss', { iss: 'https://evil.okta.com/oauth2/default' }, 'iss'],
      ['a wrong aud', { aud: 'someone-else' }, 'aud'],
      ['several audiences and no azp', { aud: [CLIENT_ID, 'other'] }, 'azp'],
      ['an azp for another client', { azp: 'other' }, 'azp'],
      ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 3600 }, 'exp'],
      ['an iat in the future', { iat: Math.floor(Date.now() / 1000) + 3600 }, 'iat'],
      ['no sub', { sub: undefined }, 'sub'],
    ];
    for (const [label, extra, claim] of claimCases) {
      it(`rejects ${label} naming the claim "${claim}"`, async () => {
        const okta = await FakeOkta.create();
        const err = await rejection(okta, await okta.sign(okta.claims(undefined, extra)));
        expect(err.claim).to.equal(claim);
        expect(err.message).to.contain(claim);
      });
    }

    it('accepts several audiences when azp is this client and the others are trustedAudiences', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined, { aud: [CLIENT_ID, 'api'], azp: CLIENT_ID }))));
      okta.mockKeys();
      const tokens = await makeClient(okta, { trustedAudiences: ['api'] }).validateAuthorizationCode(CODE, VERIFIER);
      expect(decodeJwt(tokens.idToken).azp).to.equal(CLIENT_ID);
    });

    it('tolerates clock skew within clockTolerance', async () => {
      const okta = await FakeOkta.create();
      const now = Math.floor(Date.now() / 1000);
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined, { iat: now + 30, exp: now - 30 }))));
      okta.mockKeys();
      await makeClient(okta, { clockTolerance: 60 }).validateAuthorizationCode(CODE, VERIFIER);
    });

    it('rejects a missing or different nonce', async () => {
      const okta = await FakeOkta.create();
      expect((await rejection(okta, await okta.sign(okta.claims(undefined)), { nonce: 'n-1' })).reason).to.equal('is missing');
      expect((await rejection(okta, await okta.sign(okta.claims('n-2')), { nonce: 'n-1' })).claim).to.equal('nonce');
    });

    it('checks auth_time against max_age', async () => {
      const okta = await FakeOkta.create();
      const old = Math.floor(Date.now() / 1000) - 3600;
      expect(
        (await rejection(okta, await okta.sign(okta.claims(undefined, { auth_time: old })), { maxAge: 300 })).claim,
      ).to.equal('auth_time');
      expect(
        (await rejection(okta, await okta.sign(okta.claims(undefined, { auth_time: undefined })), { maxAge: 300 })).claim,
      ).to.equal('auth_time');
    });

    it("asks the org server for the key set with client_id (an app's manually rotated key is only there)", async () => {
      const okta = await FakeOkta.create(null);
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined))));
      const keys = okta.mockKeys();
      await makeClient(okta).validateAuthorizationCode(CODE, VERIFIER);
      keys.done();
    });

    it('refetches the key set for an unknown kid at once when it is over 5 s old, even within the cooldown', async () => {
      const okta = await FakeOkta.create();
      let now = Date.now();
      const client = makeClient(okta, { now: () => now });
      okta
        .scope()
        .post(`${okta.path}/token`)
        .times(3)
        .reply(200, async () => okta.tokenBody(await okta.sign(okta.claims(undefined, { iat: Math.floor(now / 1000) }))));
      okta.mockKeys();
      await client.validateAuthorizationCode(CODE, VERIFIER);
      okta.keys = [await makeKey('key-rotated')];
      now += 4_000;
      expect(await caught(() => client.validateAuthorizationCode(CODE, VERIFIER)))
        .to.be.instanceOf(IdTokenError)
        .with.property('claim', 'kid');
      now += 2_000;
      const refetch = okta.mockKeys();
      await client.validateAuthorizationCode(CODE, VERIFIER);
      refetch.done();
    });

    it('refetches the key set once for an unknown kid after a key rotation', async () => {
      const okta = await FakeOkta.create();
      const client = makeClient(okta, { jwksCooldown: 0 });
      okta
        .scope()
        .post(`${okta.path}/token`)
        .times(2)
        .reply(200, async () => okta.tokenBody(await okta.sign(okta.claims(undefined))));
      okta.mockKeys();
      await client.validateAuthorizationCode(CODE, VERIFIER);
      okta.keys = [await makeKey('key-2')];
      const refetch = okta.mockKeys();
      await client.validateAuthorizationCode(CODE, VERIFIER);
      refetch.done();
    });

    it('does not refetch within the cooldown when kids keep being unknown', async () => {
      const okta = await FakeOkta.create();
      const client = makeClient(okta, { jwksCooldown: 60_000 });
      const stranger = await makeKey('unknown-kid');
      const keys = okta.mockKeys(1);
      okta
        .scope()
        .post(`${okta.path}/token`)
        .times(3)
        .reply(200, async () => okta.tokenBody(await okta.sign(okta.claims(undefined), stranger)));
      for (let i = 0; i < 3; i++) {
        const err = await caught(() => client.validateAuthorizationCode(CODE, VERIFIER));
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
      }
      keys.done();
      expect(nock.pendingMocks()).to.deep.equal([]);
    });

    it('refuses a token without kid when the key set has several keys, and accepts it with one', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined), okta.key, { kid: undefined })));
      okta.mockKeys();
      await makeClient(okta).validateAuthorizationCode(CODE, VERIFIER);
      okta.keys.push(await makeKey('key-2'));
      const err = await rejection(okta, await okta.sign(okta.claims(undefined), okta.key, { kid: undefined }));
      expect(err.claim).to.equal('kid');
    });
  });

  describe('refreshAccessToken', () => {
    it('sends scope only when scopes are given', async () => {
      const okta = await FakeOkta.create();
      const bodies: URLSearchParams[] = [];
      okta
        .scope()
        .post(`${okta.path}/token`)
        .times(2)
        .reply((_uri, body) => {
          bodies.push(new URLSearchParams(body as string));
          return [
            200,
            {
              token_type: 'Bearer',
              expires_in: 3600,
              access_token: 'at-2',
              refresh_token: 'rt-2',
              scope: 'openid offline_access',
            },
          ];
        });
      const client = makeClient(okta);
      const refreshed = await client.refreshAccessToken('rt-1');
      await client.refreshAccessToken('rt-1', { scopes: ['openid', 'offline_access'] });
      expect(Object.fromEntries(bodies[0]!)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
      expect(Object.fromEntries(bodies[1]!)).to.deep.equal({
        grant_type: 'refresh_token',
        refresh_token: 'rt-1',
        scope: 'openid offline_access',
      });
      expect(refreshed).to.include({ accessToken: 'at-2', refreshToken: 'rt-2', idToken: null });
    });

    it('verifies a new ID token and its subject', async () => {
      const okta = await FakeOkta.create();
      okta.mockKeys();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined))));
      const err = await caught(() => makeClient(okta).refreshAccessToken('rt-1', { subject: '00u1bob' }));
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'sub');
    });

    it('turns invalid_grant into a TokenError that does not hold the refresh token', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(400, { error: 'invalid_grant', error_description: 'The refresh token is invalid: rt-secret-1' });
      const err = await caught(() => makeClient(okta).refreshAccessToken('rt-secret-1'));
      expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_grant');
      expect(JSON.stringify({ ...err, message: err.message })).to.not.contain('rt-secret-1');
    });
  });

  describe('revokeToken, fetchUserInfo and logoutURL', () => {
    it('revokes a token with a hint and client authentication', async () => {
      const okta = await FakeOkta.create();
      let body = '';
      const scope = okta
        .scope()
        .post(`${okta.path}/revoke`)
        .matchHeader('authorization', /^Basic /)
        .reply(200, (_uri, b) => {
          body = b as string;
          return '';
        });
      await makeClient(okta).revokeToken('rt-1', 'refresh_token');
      scope.done();
      expect(Object.fromEntries(new URLSearchParams(body))).to.deep.equal({ token: 'rt-1', token_type_hint: 'refresh_token' });
    });

    it('reports a refused revocation as a TokenError', async () => {
      const okta = await FakeOkta.create();
      okta.scope().post(`${okta.path}/revoke`).reply(401, { error: 'invalid_client' });
      const err = await caught(() => makeClient(okta).revokeToken('rt-1'));
      expect(err).to.be.instanceOf(TokenError).with.property('oktaStatus', 401);
    });

    it('reads userinfo with the bearer token', async () => {
      const okta = await FakeOkta.create();
      okta
        .scope()
        .get(`${okta.path}/userinfo`)
        .matchHeader('authorization', 'Bearer at-1')
        .reply(200, { sub: '00u1alice', given_name: 'Alice', groups: ['Admins'] });
      expect(await makeClient(okta).fetchUserInfo('at-1')).to.deep.equal({
        sub: '00u1alice',
        given_name: 'Alice',
        groups: ['Admins'],
      });
    });

    it('reads a userinfo refusal from WWW-Authenticate when the body is empty (RFC 6750 §3)', async () => {
      const okta = await FakeOkta.create();
      okta.scope().get(`${okta.path}/userinfo`).reply(403, '', {
        'www-authenticate': 'Bearer error="insufficient_scope", error_description="Needs profile, email, address or phone"',
      });
      const err = (await caught(() => makeClient(okta).fetchUserInfo('at-1'))) as TokenError;
      expect(err).to.be.instanceOf(TokenError);
      expect(err).to.include({
        error: 'insufficient_scope',
        description: 'Needs profile, email, address or phone',
        oktaStatus: 403,
      });
      // A token68 challenge first (Basic's), or an unterminated quote, does not hide the Bearer one.
      for (const header of ['Basic YWxhZGRpbjpvcGVu==, Bearer error="invalid_token"', 'Bearer x="open, error=invalid_token']) {
        okta.scope().get(`${okta.path}/userinfo`).reply(401, '', { 'www-authenticate': header });
        expect(await caught(() => makeClient(okta).fetchUserInfo('at-1')), header)
          .to.be.instanceOf(TokenError)
          .with.property('error', 'invalid_token');
      }
    });

    it('refuses userinfo without sub, or as a signed JWT', async () => {
      const okta = await FakeOkta.create();
      okta.scope().get(`${okta.path}/userinfo`).reply(200, { name: 'x' });
      expect(await caught(() => makeClient(okta).fetchUserInfo('at-1'))).to.be.instanceOf(UserInfoError);
      okta.scope().get(`${okta.path}/userinfo`).reply(200, 'eyJ.eyJ.sig', { 'content-type': 'application/jwt' });
      expect(await caught(() => makeClient(okta).fetchUserInfo('at-1')))
        .to.be.instanceOf(ResponseError)
        .and.match(/signed JWT/);
    });

    it('builds the logout URL', async () => {
      const okta = await FakeOkta.create();
      const url = makeClient(okta).logoutURL({
        idTokenHint: 'id.token.x',
        postLogoutRedirectURI: 'https://app.example/',
        state: 's-1',
      });
      expect(url.toString()).to.equal(
        'https://acme.okta.com/oauth2/default/v1/logout?id_token_hint=id.token.x&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F&state=s-1',
      );
    });
  });
});
