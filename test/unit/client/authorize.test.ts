import { expect } from 'chai';
import fc from 'fast-check';
import nock from 'nock';
import { AuthorizeRequest, type AuthorizationURLOptions } from '../../../lib/client/authorize.js';
import { ClientRequests } from '../../../lib/client/requests.js';
import { ClientAuthenticator } from '../../../lib/core/client-auth.js';
import { oktaEndpoints } from '../../../lib/core/endpoints.js';
import { ConfigurationError, ResponseError } from '../../../lib/core/errors.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI } from '../../support/okta-mock.js';

const endpoints = oktaEndpoints(DOMAIN, 'default');
const STATE = 'state-0123456789';
const VERIFIER = 'verifier-0123456789-0123456789-0123456789-abc';

function pushedRequests(): ClientRequests {
  const now = Date.now;
  const auth = new ClientAuthenticator({
    method: 'client_secret_post',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    privateKey: undefined,
    privateKeyId: undefined,
    now,
  });
  return new ClientRequests({
    http: { fetch: undefined, timeout: 2000 },
    auth,
    dpop: undefined,
    clientSecret: CLIENT_SECRET,
    now,
  });
}

/** Text with what form encoding must escape: spaces, `+`, `&`, `=`, `%`, `#`, non-ASCII. */
const awkward = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', '+', '&', '=', '%', '#', '/', '?', 'é', '😀', '*', '-', '.', '_', '~'),
  maxLength: 12,
});

const options = fc.record(
  {
    scopes: fc.array(
      awkward.filter((s) => s.trim() !== ''),
      { maxLength: 4 },
    ),
    nonce: awkward,
    prompt: fc.constantFrom('none', 'login', 'login consent'),
    loginHint: awkward,
    maxAge: fc.nat(),
    acrValues: awkward,
    idp: awkward,
    sessionToken: awkward,
    responseMode: fc.constantFrom('query' as const, 'form_post' as const),
    redirectURI: awkward.map((path) => `https://app.example/cb/${encodeURIComponent(path)}?q=${encodeURIComponent(path)}`),
    extraParams: fc.dictionary(
      fc.constantFrom('ui_locales', 'display', 'idp_scope', 'enroll_amr_values'),
      awkward.filter(Boolean),
    ),
  },
  { requiredKeys: [] },
);

describe('the authorization request (client/authorize.ts)', () => {
  const request = new AuthorizeRequest(endpoints, CLIENT_ID, REDIRECT_URI, undefined);

  it('writes the same URL with its string builder as with URL and URLSearchParams, whatever the values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), options, async (state, verifier, given) => {
        const opts = given as AuthorizationURLOptions;
        const viaURL = await request.create(state, verifier, opts);
        expect(request.string(state, verifier, opts)).to.equal(viaURL.toString());
      }),
      { numRuns: 300 },
    );
  });

  it('lists the parameters in one order: the client’s, state and PKCE, then the optional ones, then extraParams', async () => {
    const url = await request.create(STATE, VERIFIER, {
      extraParams: { ui_locales: 'fr' },
      sessionToken: 't',
      idp: '0oa-idp',
      acrValues: 'urn:okta:loa:2fa:any',
      maxAge: 0,
      loginHint: 'alice@example.com',
      prompt: 'login',
      responseMode: 'form_post',
      nonce: 'n',
      scopes: ['email', 'openid', 'profile email'],
    });
    expect(url.origin + url.pathname).to.equal(endpoints.authorize);
    expect([...url.searchParams]).to.deep.equal([
      ['response_type', 'code'],
      ['client_id', CLIENT_ID],
      ['redirect_uri', REDIRECT_URI],
      ['scope', 'openid email profile'],
      ['state', STATE],
      ['code_challenge', url.searchParams.get('code_challenge')],
      ['code_challenge_method', 'S256'],
      ['nonce', 'n'],
      ['response_mode', 'form_post'],
      ['prompt', 'login'],
      ['login_hint', 'alice@example.com'],
      ['max_age', '0'],
      ['acr_values', 'urn:okta:loa:2fa:any'],
      ['idp', '0oa-idp'],
      ['sessionToken', 't'],
      ['ui_locales', 'fr'],
    ]);
  });

  it('leaves out response_mode=query (the default) and what is not given', () => {
    const url = new URL(request.string(STATE, VERIFIER, { responseMode: 'query' }) as string);
    expect([...url.searchParams.keys()]).to.deep.equal([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
    ]);
    expect(url.searchParams.get('scope')).to.equal('openid');
  });

  it("uses a request's redirect URI when given, and refuses one that is not absolute", async () => {
    const url = await request.create(STATE, VERIFIER, { redirectURI: 'https://other.example/cb' });
    expect(url.searchParams.get('redirect_uri')).to.equal('https://other.example/cb');
    expect(request.resolve(undefined)).to.equal(REDIRECT_URI);
    expect(() => request.resolve('/auth/okta/callback')).to.throw(
      ConfigurationError,
      'redirect URI "/auth/okta/callback" must be an absolute URL',
    );
    expect(() => request.string(STATE, VERIFIER, { redirectURI: 'cb' })).to.throw(ConfigurationError);
    expect(() => new AuthorizeRequest(endpoints, CLIENT_ID, '/relative', undefined).string(STATE, VERIFIER, {})).to.throw(
      ConfigurationError,
    );
  });

  it('checks extraParams when creating a URL for an app (createAuthorizationURL)', async () => {
    const refused = await request.create(STATE, VERIFIER, { extraParams: { nonce: 'mine' } }).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(ConfigurationError).with.property('message').that.contains('createAuthorizationURL');
  });

  describe('pushed to /v1/par first (RFC 9126)', () => {
    const pushed = new AuthorizeRequest(endpoints, CLIENT_ID, REDIRECT_URI, pushedRequests());
    beforeEach(() => nock.disableNetConnect());
    afterEach(() => {
      nock.cleanAll();
      nock.enableNetConnect();
    });

    /** `/v1/par` answering `reply`, keeping the form it was sent. */
    function par(status: number, body: unknown): { form: () => URLSearchParams; scope: nock.Scope } {
      let sent = '';
      const scope = nock(DOMAIN)
        .post('/oauth2/default/v1/par', (form: unknown) => {
          sent = new URLSearchParams(form as Record<string, string>).toString();
          return true;
        })
        .reply(status, body as nock.Body);
      return { form: () => new URLSearchParams(sent), scope };
    }

    it('posts the parameters the URL would carry, with client authentication, and redirects with client_id and request_uri alone', async () => {
      const given: AuthorizationURLOptions = {
        nonce: 'n',
        scopes: ['profile'],
        loginHint: 'a b+c',
        extraParams: { display: 'page' },
      };
      const { form, scope } = par(201, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 });
      const url = await pushed.create(STATE, VERIFIER, given);
      expect(scope.isDone()).to.equal(true);
      expect(url.toString()).to.equal(
        `${endpoints.authorize}?client_id=${CLIENT_ID}&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc`,
      );
      const unpushed = [...(await request.create(STATE, VERIFIER, given)).searchParams];
      const sent = [...form()];
      expect(sent.filter(([name]) => name !== 'client_secret')).to.deep.equal(unpushed);
      expect(form().get('client_secret')).to.equal(CLIENT_SECRET);
    });

    it('answers string() with a promise of the same URL, and accepts a 200 too', async () => {
      par(200, { request_uri: 'urn:x' });
      const url = pushed.string(STATE, VERIFIER, {});
      expect(url).to.be.instanceOf(Promise);
      expect(await url).to.equal(`${endpoints.authorize}?client_id=${CLIENT_ID}&request_uri=urn%3Ax`);
    });

    it('refuses an answer without a request_uri', async () => {
      for (const body of [{}, { request_uri: '' }, { request_uri: 42 }]) {
        par(201, body);
        const err = await pushed.create(STATE, VERIFIER, {}).catch((e: unknown) => e);
        expect(err, JSON.stringify(body))
          .to.be.instanceOf(ResponseError)
          .with.property('message', "Okta's PAR endpoint answered without a request_uri");
      }
    });

    it('scrubs the one-time and personal values it pushed from a refusal that echoes them', async () => {
      const echo = `state=${STATE} login_hint=alice@example.com sessionToken=20111abcdefXYZ ${CLIENT_SECRET}`;
      par(400, { error: 'invalid_request', error_description: echo });
      const err = (await pushed
        .create(STATE, VERIFIER, { loginHint: 'alice@example.com', sessionToken: '20111abcdefXYZ', nonce: 'nonce-0123456789' })
        .catch((e: unknown) => e)) as Error;
      const shown = JSON.stringify({ ...err, message: err.message });
      for (const secret of [STATE, 'alice@example.com', '20111abcdefXYZ', CLIENT_SECRET]) expect(shown).to.not.contain(secret);
    });
  });
});
