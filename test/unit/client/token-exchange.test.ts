import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import { createHash } from 'node:crypto';
import { ConfigurationError, ResponseError, TokenError } from '../../../lib/core/errors.js';
import { OktaClient, type OktaClientOptions } from '../../../lib/client.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, FakeOkta, mockedOkta, REDIRECT_URI } from '../../support/okta-mock.js';
import { expectNoLeak } from '../../support/secret-leaks.js';

const T0 = Date.UTC(2027, 0, 1);
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const OPAQUE_USER_TOKEN = 'user-opaque-access-token-0123456789';

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function makeClient(okta: FakeOkta, options: OktaClientOptions = {}): OktaClient {
  return new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { authServerId: okta.authServerId, ...options });
}

/** The token endpoint answering `times` token exchanges, each with a new token. */
function exchanges(okta: FakeOkta, times = 1, extra: Record<string, unknown> = {}): URLSearchParams[] {
  const seen: URLSearchParams[] = [];
  okta
    .scope()
    .post(`${okta.path}/token`)
    .times(times)
    .reply((_uri, body) => {
      const form = new URLSearchParams(body as string);
      seen.push(form);
      return [
        200,
        {
          token_type: 'Bearer',
          expires_in: 3600,
          access_token: `downstream-at-${seen.length}`,
          scope: form.get('scope'),
          issued_token_type: ACCESS_TOKEN_TYPE,
          ...extra,
        },
      ];
    });
  return seen;
}

/** A user's JWT access token of another custom server, expiring at `exp` (seconds). */
async function userJwt(okta: FakeOkta, exp: number): Promise<string> {
  return new SignJWT({ uid: '00u1alice', scp: ['orders:read'] })
    .setProtectedHeader({ alg: 'RS256', kid: okta.key.kid })
    .setIssuer(`${DOMAIN}/oauth2/default`)
    .setAudience('api://default')
    .setSubject('alice@example.com')
    .setIssuedAt(exp - 3600)
    .setExpirationTime(exp)
    .sign(okta.key.privateKey);
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('OktaClient.exchangeToken', () => {
  mockedOkta();
  let okta: FakeOkta;
  beforeEach(async () => {
    okta = await FakeOkta.create('downstream');
  });
  const options = (subjectToken = OPAQUE_USER_TOKEN) => ({ subjectToken, audience: 'api://downstream', scopes: ['orders:read'] });

  it('posts an RFC 8693 exchange of an access token with the audience and scopes, and returns a typed token', async () => {
    const seen = exchanges(okta);
    const time = clock();
    const token = await makeClient(okta, { now: time.now }).exchangeToken(options());
    expect(Object.fromEntries(seen[0]!)).to.deep.equal({
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: ACCESS_TOKEN_TYPE,
      subject_token: OPAQUE_USER_TOKEN,
      audience: 'api://downstream',
      scope: 'orders:read',
    });
    expect(token).to.deep.equal({
      accessToken: 'downstream-at-1',
      tokenType: 'Bearer',
      expiresAt: new Date(T0 + 3600_000),
      scopes: ['orders:read'],
      issuedTokenType: ACCESS_TOKEN_TYPE,
    });
  });

  it('refuses on the org authorization server, before any request', async () => {
    const org = new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI);
    const err = await caught(org.exchangeToken(options()));
    expect(err)
      .to.be.instanceOf(ConfigurationError)
      .and.match(/custom authorization server \(authServerId\)/);
  });

  it('refuses an answer whose issued_token_type is missing or not an access token', async () => {
    for (const issued of [undefined, 'urn:ietf:params:oauth:token-type:id_token']) {
      exchanges(okta, 1, { issued_token_type: issued });
      const err = await caught(makeClient(okta).exchangeToken(options()));
      expect(err)
        .to.be.instanceOf(ResponseError)
        .and.match(/issued_token_type/);
    }
  });

  it('caches per user token, audience and scopes, keeping only a hash of the user token', async () => {
    const seen = exchanges(okta, 3);
    const client = makeClient(okta);
    const first = await client.exchangeToken(options('user-token-a'));
    expect(await client.exchangeToken(options('user-token-a'))).to.deep.equal(first);
    expect((await client.exchangeToken(options('user-token-b'))).accessToken).to.equal('downstream-at-2');
    await client.exchangeToken({ ...options('user-token-a'), scopes: ['orders:write'] });
    expect(seen).to.have.length(3);
    // What the cache holds, read through its private fields: hashes, never a user's token.
    const cache = (client as unknown as { tokenExchange: { cache: { tokens: { entries: Map<string, unknown> } } } }).tokenExchange
      .cache.tokens.entries;
    const keys = [...cache.keys()].join('\n');
    expect(keys).not.to.include('user-token-a');
    expect(keys).to.include(createHash('sha256').update('user-token-a').digest('base64url'));
  });

  it("keeps a token no longer than the user token's own exp", async () => {
    const seen = exchanges(okta, 2);
    const time = clock();
    const client = makeClient(okta, { now: time.now });
    const subject = await userJwt(okta, T0 / 1000 + 120);
    await client.exchangeToken(options(subject));
    time.advance(119_999);
    await client.exchangeToken(options(subject));
    expect(seen).to.have.length(1);
    time.advance(1);
    await client.exchangeToken(options(subject));
    expect(seen).to.have.length(2);
  });

  it('keeps the token of an opaque user token until 60 s before it expires', async () => {
    const seen = exchanges(okta, 2);
    const time = clock();
    const client = makeClient(okta, { now: time.now });
    await client.exchangeToken(options());
    time.advance(3540_000 - 1);
    await client.exchangeToken(options());
    expect(seen).to.have.length(1);
    time.advance(1);
    await client.exchangeToken(options());
    expect(seen).to.have.length(2);
  });

  it('makes one request for 10 concurrent callers with the same user token', async () => {
    let requests = 0;
    okta
      .scope()
      .post(`${okta.path}/token`)
      .delay(50)
      .reply(() => {
        requests += 1;
        return [200, { token_type: 'Bearer', expires_in: 3600, access_token: 'shared', issued_token_type: ACCESS_TOKEN_TYPE }];
      });
    const client = makeClient(okta);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.exchangeToken(options())));
    expect(requests).to.equal(1);
    expect(tokens.every((token) => token.accessToken === 'shared')).to.equal(true);
  });

  it("is a TokenError with Okta's code, holding neither the user token nor the client secret", async () => {
    okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(400, {
        error: 'invalid_grant',
        error_description: `The 'subject_token' ${OPAQUE_USER_TOKEN} either expired or the session associated with it was terminated.`,
      });
    const err = await caught(makeClient(okta).exchangeToken(options()));
    expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_grant');
    expectNoLeak({ where: 'token exchange', outcome: { kind: 'error', error: err } }, [OPAQUE_USER_TOKEN, CLIENT_SECRET]);
  });

  it('sends a DPoP proof when the client has a DPoP key', async () => {
    let proof = '';
    okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(function () {
        proof = this.req.headers.dpop as string;
        return [200, { token_type: 'DPoP', expires_in: 3600, access_token: 'bound', issued_token_type: ACCESS_TOKEN_TYPE }];
      });
    const token = await makeClient(okta, { dpop: true }).exchangeToken(options());
    expect(token.tokenType).to.equal('DPoP');
    expect(decodeJwt(proof)).to.include({ htm: 'POST', htu: `${okta.issuer}/v1/token` });
    await jwtVerify(proof, decodeProtectedHeader(proof).jwk as JWK, { typ: 'dpop+jwt' });
  });

  it('refuses bad options before any request', async () => {
    const client = makeClient(okta);
    const bad: unknown[] = [
      { ...options(), subjectToken: '' },
      { ...options(), audience: undefined },
      { ...options(), scopes: [] },
      { ...options(), subject_token: 'x' },
    ];
    for (const given of bad) {
      const err = await caught(client.exchangeToken(given as ReturnType<typeof options>));
      expect(err, JSON.stringify(given)).to.be.instanceOf(ConfigurationError);
    }
  });
});
