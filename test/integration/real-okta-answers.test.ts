import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ConfigurationError, IdTokenError, RateLimitError, ResponseError, TokenError } from '../../lib/core/errors.js';
import { OktaBearerStrategy } from '../../lib/bearer.js';
import { OktaClient } from '../../lib/client.js';
import { OktaStrategy } from '../../lib/index.js';
import { accessClaims, AUDIENCE, call, signingKey, signToken, startApi, type Api } from '../support/bearer.js';
import { describeOutcome, makeStrategy, signIn, type SignIn } from '../support/hostile-harness.js';
import { CLIENT_ID, CLIENT_SECRET, HostileOkta, sharedKey, type Reply } from '../support/hostile-okta.js';
import type { Outcome } from '../support/passport.js';

// What real Okta sends that an Okta of our own making did not (issue 19): each answer is
// written here from what Okta publishes (its OpenAPI spec, developer docs and okta-auth-js's
// fixtures), served over real HTTP on 127.0.0.1, and driven through the strategy.

/** Okta's own error body (`E0000xxx`), as its OAuth endpoints send it for some failures. */
function oktaErrorBody(errorCode: string, errorSummary: string, errorId: string): Record<string, unknown> {
  return { errorCode, errorSummary, errorLink: errorCode, errorId, errorCauses: [] };
}

function errorOf(outcome: Outcome): Error {
  expect(outcome.kind, describeOutcome(outcome)).to.equal('error');
  return (outcome as Extract<Outcome, { kind: 'error' }>).error;
}

function succeeded(result: SignIn): void {
  expect(result.outcome.kind, describeOutcome(result.outcome)).to.equal('success');
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

/** The acme org's Okta URL: what tokens name while the app reaches Okta at its custom URL domain. */
const OKTA_URL_ISSUER = 'https://acme.okta.com/oauth2/default';

describe('real Okta answers, over HTTP (issue 19)', () => {
  describe('a custom URL domain whose authorization server Issuer is still "Okta URL"', () => {
    let okta: HostileOkta;
    before(async () => {
      // Served at 127.0.0.1 (standing for login.example.com), tokens naming acme.okta.com.
      okta = await HostileOkta.start({ issuer: OKTA_URL_ISSUER });
    });
    after(async () => {
      await okta.close();
    });

    it('signs in with the issuer option: endpoints at oktaDomain, iss as issuer', async () => {
      const strategy = makeStrategy(okta, { issuer: OKTA_URL_ISSUER });
      const result = await signIn(strategy, okta);
      succeeded(result);
      expect(result.authorizeURL.origin).to.equal(okta.origin);
      expect(strategy.client.issuer).to.equal(OKTA_URL_ISSUER);
      expect((result.outcome as { user: { profile: { issuer: string } } }).user.profile.issuer).to.equal(OKTA_URL_ISSUER);
    });

    it('without it, says which issuer came and which was expected, and names the issuer option and the Issuer setting', async () => {
      const { outcome } = await signIn(makeStrategy(okta), okta);
      const err = errorOf(outcome);
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'iss');
      expect(err.message).to.equal(
        `ID token rejected: iss is '${OKTA_URL_ISSUER}', not the expected '${okta.origin}/oauth2/default': ` +
          "if Okta's Issuer setting for this authorization server is not the URL oktaDomain and authServerId make " +
          '(e.g. a custom URL domain), set the issuer option to the Issuer Okta shows',
      );
    });

    it('still refuses a token of any other issuer when issuer is set', async () => {
      const strategy = makeStrategy(okta, { issuer: 'https://acme.okta.com/oauth2/default' });
      okta.behaviour = { claims: { iss: `${okta.origin}/oauth2/default` } };
      try {
        const err = errorOf((await signIn(strategy, okta)).outcome);
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'iss');
      } finally {
        okta.reset();
      }
    });

    it('OktaBearerStrategy verifies access tokens with the issuer option, and says the same without it', async () => {
      const key = await signingKey('custom-domain-key');
      const server = await HostileOkta.start({ keys: [key] });
      const apis: Api[] = [];
      try {
        const token = await signToken(key, accessClaims(OKTA_URL_ISSUER));
        apis.push(await startApi({ oktaDomain: server.origin, issuer: OKTA_URL_ISSUER }));
        const ok = await call(`${apis[0]!.origin}/api/me`, { authorization: `Bearer ${token}` });
        expect(ok.status, ok.body).to.equal(200);

        apis.push(await startApi({ oktaDomain: server.origin }));
        const refused = await call(`${apis[1]!.origin}/api/me`, { authorization: `Bearer ${token}` });
        expect(refused.status).to.equal(401);
        expect(refused.headers['www-authenticate']).to.contain(
          `error_description="The access token was issued by another authorization server (iss is '${OKTA_URL_ISSUER}', ` +
            `not the expected '${server.origin}/oauth2/default': if Okta's Issuer setting`,
        );
        expect(refused.headers['www-authenticate']).to.contain('set the issuer option to the Issuer Okta shows');
      } finally {
        await Promise.all([...apis.map((api) => api.close()), server.close()]);
      }
    });
  });

  describe('the issuer option is checked when the strategy is made', () => {
    const options = {
      oktaDomain: 'https://login.example.com',
      authServerId: 'default',
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: '/auth/okta/callback',
    };
    const make = (issuer: string, authServerId: string | undefined): OktaStrategy =>
      new OktaStrategy({ ...options, authServerId, issuer }, async () => false);

    it('accepts the Okta URL of the same server, and of the org server', () => {
      expect(make(OKTA_URL_ISSUER, 'default').client.issuer).to.equal(OKTA_URL_ISSUER);
      expect(make('https://acme.okta.com', undefined).client.issuer).to.equal('https://acme.okta.com');
      expect(make(OKTA_URL_ISSUER, 'default').client.endpoints.token).to.equal(
        'https://login.example.com/oauth2/default/v1/token',
      );
    });

    const refused: Array<[string, string, string | undefined, RegExp]> = [
      ['plain http', 'http://acme.okta.com/oauth2/default', 'default', /must use https/],
      ['a trailing slash', 'https://acme.okta.com/oauth2/default/', 'default', /must not end with "\/"/],
      ['another server', 'https://acme.okta.com/oauth2/aus1other', 'default', /must have the path "\/oauth2\/default"/],
      ['a path for the org server', OKTA_URL_ISSUER, undefined, /must have the path of the org authorization server \(none\)/],
      ['no path for a custom server', 'https://acme.okta.com', 'default', /must have the path "\/oauth2\/default"/],
      ['a query', 'https://acme.okta.com/oauth2/default?x=1', 'default', /no query, fragment or credentials/],
      [
        'a non-normal form',
        'https://ACME.okta.com:443/oauth2/default',
        'default',
        /written as Okta does: "https:\/\/acme\.okta\.com\/oauth2\/default"/,
      ],
      ["the docs' placeholder", 'https://{yourOktaDomain}/oauth2/default', 'default', /placeholder/],
      ['not a URL', 'acme.okta.com/oauth2/default', 'default', /must be an https URL/],
    ];
    for (const [label, issuer, authServerId, message] of refused) {
      it(`refuses ${label}`, () => {
        expect(configurationError(() => make(issuer, authServerId)).message).to.match(message);
        expect(
          () => new OktaClient('login.example.com', CLIENT_ID, CLIENT_SECRET, 'https://app.example/cb', { authServerId, issuer }),
        ).to.throw(ConfigurationError, message);
        expect(
          () =>
            new OktaBearerStrategy({ oktaDomain: 'login.example.com', authServerId, issuer, audience: AUDIENCE, clientID: 'c' }),
        ).to.throw(ConfigurationError, message);
      });
    }
  });

  describe("Okta's own error bodies (E0000xxx) keep their fields", () => {
    let okta: HostileOkta;
    before(async () => {
      okta = await HostileOkta.start();
    });
    afterEach(() => {
      okta.reset();
    });
    after(async () => {
      await okta.close();
    });

    it('404 E0000007 from the token endpoint: errorCode, errorSummary, errorId, and what is probably wrong', async () => {
      const summary = 'Not found: Resource not found: default (AuthorizationServer)';
      okta.behaviour = { token: { status: 404, body: oktaErrorBody('E0000007', summary, 'oaeTokenNotFound404aaaa') } };
      const err = errorOf((await signIn(makeStrategy(okta), okta)).outcome) as ResponseError;
      expect(err).to.be.instanceOf(ResponseError);
      expect(err).to.include({
        oktaStatus: 404,
        errorCode: 'E0000007',
        errorSummary: summary,
        errorId: 'oaeTokenNotFound404aaaa',
      });
      expect(err.message).to.equal(
        "Okta's token endpoint answered with unexpected status 404: the authServerId or oktaDomain is probably wrong " +
          `(Okta has no such authorization server) (E0000007: ${summary}, errorId oaeTokenNotFound404aaaa)`,
      );
    });

    it("404 E0000007 from the keys endpoint of an authServerId Okta does not have (this provider's own 404)", async () => {
      const client = new OktaClient(okta.origin, CLIENT_ID, CLIENT_SECRET, 'http://127.0.0.1/cb', { authServerId: 'aus-typo' });
      const idToken = await okta.sign({ iss: `${okta.origin}/oauth2/aus-typo`, sub: '00u1', aud: CLIENT_ID });
      const err = await client.verifyIdToken(idToken).then(
        () => expect.fail('verified'),
        (e: unknown) => e as ResponseError,
      );
      expect(err).to.be.instanceOf(ResponseError).with.property('errorCode', 'E0000007');
      expect(err.errorSummary).to.equal('Not found: Resource not found: aus-typo (AuthorizationServer)');
      expect(err.errorId).to.match(/^oae/);
      expect(err.message).to.match(/^Okta's keys endpoint answered with unexpected status 404: the authServerId or oktaDomain/);
      expect(err.message).to.contain(`errorId ${err.errorId}`);
    });

    const others: Array<[string, Reply, new (...args: never[]) => ResponseError, number]> = [
      [
        '401 E0000011',
        { status: 401, body: oktaErrorBody('E0000011', 'Invalid token provided', 'oaeInvalid401bbbb') },
        ResponseError,
        401,
      ],
      [
        '500 E0000009',
        { status: 500, body: oktaErrorBody('E0000009', 'Internal Server Error', 'oaeInternal500cccc') },
        ResponseError,
        500,
      ],
      [
        '429 E0000047',
        {
          status: 429,
          headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1900000000' },
          body: oktaErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.', 'oaeLimited429dddd'),
        },
        RateLimitError,
        429,
      ],
    ];
    for (const [label, reply, errorClass, status] of others) {
      it(`${label} from the token endpoint keeps them too, on a ${errorClass.name}`, async () => {
        okta.behaviour = { token: reply };
        const err = errorOf((await signIn(makeStrategy(okta), okta)).outcome) as ResponseError;
        const body = reply.body as Record<string, string>;
        expect(err).to.be.instanceOf(errorClass);
        expect(err).to.include({
          oktaStatus: status,
          errorCode: body.errorCode,
          errorSummary: body.errorSummary,
          errorId: body.errorId,
        });
        expect(err.message).to.contain(`(${body.errorCode}: ${body.errorSummary}, errorId ${body.errorId})`);
        expect(err.message).not.to.contain('probably wrong');
      });
    }

    it('clips and cleans them like OAuth fields: no forged log lines, no echoed client secret', async () => {
      const summary = `Bad request\r\n2026-01-01 INFO admin signed in ${CLIENT_SECRET} ${'x'.repeat(400)}`;
      okta.behaviour = {
        token: { status: 400, body: oktaErrorBody('E0000001\nFAKE', summary, `oae${'y'.repeat(150)}`) },
      };
      const err = errorOf((await signIn(makeStrategy(okta), okta)).outcome) as ResponseError;
      expect(err).to.be.instanceOf(ResponseError);
      expect(err.errorCode).to.equal('E0000001 FAKE');
      expect(err.errorSummary).to.have.length(300);
      expect(err.errorSummary).to.match(/^Bad request 2026-01-01 INFO admin signed in \[redacted\] x+\.\.\.$/);
      expect(err.errorId).to.have.length(100);
      expect(err.message).not.to.match(/[\r\n]/);
      expect(err.message).not.to.contain(CLIENT_SECRET);
    });
  });

  describe('/v1/userinfo refusals, said only in WWW-Authenticate (RFC 6750 §3)', () => {
    let okta: HostileOkta;
    before(async () => {
      okta = await HostileOkta.start();
    });
    afterEach(() => {
      okta.reset();
    });
    after(async () => {
      await okta.close();
    });

    const insufficient =
      'The access token must provide access to at least one of these scopes - profile, email, address or phone';
    const refusals: Array<[string, Reply, string, string, number]> = [
      [
        '403 insufficient_scope with no body',
        {
          status: 403,
          headers: { expires: '0', 'www-authenticate': `Bearer error="insufficient_scope", error_description="${insufficient}"` },
        },
        'insufficient_scope',
        insufficient,
        403,
      ],
      [
        '401 invalid_token with an empty JSON object',
        {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid."' },
          body: {},
        },
        'invalid_token',
        'The access token is invalid.',
        401,
      ],
    ];
    for (const [label, reply, error, description, status] of refusals) {
      it(`${label}: a TokenError with the header's error and description`, async () => {
        okta.behaviour = { userinfo: reply };
        const err = errorOf((await signIn(makeStrategy(okta, { userInfo: true }), okta)).outcome) as TokenError;
        expect(err).to.be.instanceOf(TokenError);
        expect(err).to.include({ error, description, oktaStatus: status, status: 502 });
        expect(err.message).to.equal(`Okta's userinfo endpoint answered ${status}: ${error} (${description})`);
      });
    }

    it('reads quoted-pairs, other schemes and parameter order; scrubs an echoed access token', async () => {
      let accessToken = '';
      okta.behaviour = {
        userinfo: () => {
          accessToken = /^Bearer (.+)$/.exec(okta.recent.at(-1)!.authorization ?? '')![1]!;
          return {
            status: 401,
            headers: {
              'www-authenticate':
                `Basic realm="x", Bearer realm="okta", error_description="token \\"${accessToken}\\" is\\\\ revoked", ` +
                'error=invalid_token, DPoP algs="ES256"',
            },
          };
        },
      };
      const err = errorOf((await signIn(makeStrategy(okta, { userInfo: true }), okta)).outcome) as TokenError;
      expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_token');
      expect(err.description).to.equal('token ?[redacted]? is? revoked');
      expect(accessToken).to.have.length.above(10);
      expect(err.message).not.to.contain(accessToken);
    });

    it('OktaClient.fetchUserInfo rejects the same way', async () => {
      okta.behaviour = {
        userinfo: {
          status: 403,
          headers: { 'www-authenticate': `Bearer error="insufficient_scope", error_description="${insufficient}"` },
        },
      };
      const client = makeStrategy(okta).client;
      const err = await client.fetchUserInfo('at.someone').then(
        () => expect.fail('fetched'),
        (e: unknown) => e as TokenError,
      );
      expect(err)
        .to.be.instanceOf(TokenError)
        .and.include({ error: 'insufficient_scope', description: insufficient, oktaStatus: 403 });
    });
  });

  describe('an org authorization server app with manual key rotation', () => {
    let okta: HostileOkta;
    after(async () => {
      await okta.close();
    });

    it("asks for the key set with client_id, where the org server publishes the app's own key", async () => {
      const appKey = await sharedKey('app-manual-key');
      const orgKey = await sharedKey('key-1');
      okta = await HostileOkta.start({ authServerId: null, keys: [orgKey] });
      okta.behaviour = {
        signWith: appKey,
        keys: ({ clientId }) => ({ body: { keys: [clientId === CLIENT_ID ? appKey.jwk : orgKey.jwk] } }),
      };
      succeeded(await signIn(makeStrategy(okta), okta));
      const keyRequests = okta.recent.filter((r) => r.endpoint === 'keys');
      expect(keyRequests.map((r) => r.query)).to.deep.equal([`?client_id=${CLIENT_ID}`]);
    });
  });

  describe('a signing key rotated soon after the key set was fetched', () => {
    let okta: HostileOkta;
    before(async () => {
      okta = await HostileOkta.start({ keys: [await sharedKey('key-1')] });
    });
    after(async () => {
      await okta.close();
    });

    it('is followed at once when the set is over 5 s old, with unknown kids still held to one fetch per cooldown', async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew });
      succeeded(await signIn(strategy, okta));
      expect(okta.hits.keys).to.equal(1);

      clock.skew += 10_000; // well within the 30 s cooldown
      okta.rotate([await sharedKey('key-rotated-at-10s'), await sharedKey('key-1')]);
      succeeded(await signIn(strategy, okta));
      expect(okta.hits.keys, 'one refetch for the new kid').to.equal(2);

      const forge = async (): Promise<void> => {
        okta.behaviour = { signWith: await sharedKey('stranger'), header: () => ({ kid: randomBytes(8).toString('hex') }) };
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, () => signIn(strategy, okta, { where: 'kid-flood', directAuthorize: true })),
        );
        for (const { outcome } of outcomes) expect(errorOf(outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
        okta.behaviour = {};
      };
      clock.skew += 2_000; // the set is 2 s old
      await forge();
      clock.skew += 10_000; // 12 s old, but the last unknown-kid fetch was 12 s ago
      await forge();
      expect(okta.hits.keys, 'forged kids within the cooldown: no request').to.equal(2);
      clock.skew += 19_000; // 31 s after the last unknown-kid fetch
      await forge();
      expect(okta.hits.keys, 'one per cooldown').to.equal(3);
      succeeded(await signIn(strategy, okta));
    });
  });

  describe('setup and clock mistakes', () => {
    it("refuses the docs' placeholder https://{yourOktaDomain} as oktaDomain, and says what to put", () => {
      for (const domain of ['https://{yourOktaDomain}', '{yourOktaDomain}', 'https://${yourOktaDomain}']) {
        const err = configurationError(
          () =>
            new OktaStrategy(
              { oktaDomain: domain, clientID: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackURL: '/auth/okta/callback' },
              async () => false,
            ),
        );
        expect(err.message).to.equal(
          `oktaDomain "${domain}" is a placeholder from Okta's docs or a template: replace it with your Okta domain, ` +
            `e.g. "https://dev-123456.okta.com" (Okta's Admin Console shows it under your name, top right)`,
        );
        expect(() => new OktaBearerStrategy({ oktaDomain: domain, authServerId: 'default', audience: AUDIENCE })).to.throw(
          ConfigurationError,
          /placeholder/,
        );
      }
    });

    it('signs in when the app clock is 100 s behind Okta (default clockTolerance 120 s)', async () => {
      const okta = await HostileOkta.start();
      try {
        const strategy = makeStrategy(okta, { now: () => Date.now() - 100_000 });
        succeeded(await signIn(strategy, okta));
        const late = makeStrategy(okta, { now: () => Date.now() - 130_000 });
        const err = errorOf((await signIn(late, okta)).outcome);
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'iat');
        expect(err.message).to.match(/beyond the clockTolerance of 120 s$/);
      } finally {
        await okta.close();
      }
    });
  });
});
