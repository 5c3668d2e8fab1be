import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { ConfigurationError, RateLimitError, RequestError, ResponseError, TokenError } from '../../../lib/core/errors.js';
import { OktaClient, type OktaClientOptions } from '../../../lib/client.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOMAIN,
  mockedOkta,
  rateLimitedBody,
  REDIRECT_URI,
  type FakeOkta,
} from '../../support/okta-mock.js';
import { expectNoLeak } from '../../support/secret-leaks.js';

const T0 = Date.UTC(2027, 0, 1);

/** A clock the test moves. */
function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function makeClient(okta: FakeOkta, options: OktaClientOptions = {}, secret: string | null = CLIENT_SECRET): OktaClient {
  return new OktaClient(DOMAIN, CLIENT_ID, secret, REDIRECT_URI, { authServerId: okta.authServerId, ...options });
}

interface Seen {
  form: URLSearchParams;
  headers: Record<string, unknown>;
}

/** The token endpoint answering `times` client credentials requests, each with a new token. */
function serviceTokens(okta: FakeOkta, times = 1, extra: Record<string, unknown> = {}): Seen[] {
  const seen: Seen[] = [];
  okta
    .scope()
    .post(`${okta.path}/token`)
    .times(times)
    .reply(function (_uri, body) {
      const form = new URLSearchParams(body as string);
      seen.push({ form, headers: { ...this.req.headers } });
      return [
        200,
        { token_type: 'Bearer', expires_in: 3600, access_token: `svc-at-${seen.length}`, scope: form.get('scope'), ...extra },
      ];
    });
  return seen;
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('OktaClient.getClientCredentialsToken', () => {
  const currentOkta = mockedOkta();
  let okta: FakeOkta;
  beforeEach(() => {
    okta = currentOkta();
  });

  describe('the request', () => {
    it('posts grant_type=client_credentials and the scopes with Basic credentials, and returns a typed token', async () => {
      const seen = serviceTokens(okta);
      const time = clock();
      const token = await makeClient(okta, { now: time.now }).getClientCredentialsToken({
        scopes: ['orders:write', 'orders:read', 'orders:write'],
      });
      expect(Object.fromEntries(seen[0]!.form)).to.deep.equal({
        grant_type: 'client_credentials',
        scope: 'orders:read orders:write',
      });
      expect(seen[0]!.headers.authorization).to.match(/^Basic /);
      expect(seen[0]!.headers.dpop).to.equal(undefined);
      expect(token).to.deep.equal({
        accessToken: 'svc-at-1',
        tokenType: 'Bearer',
        expiresAt: new Date(T0 + 3600_000),
        scopes: ['orders:read', 'orders:write'],
      });
    });

    it('client_secret_post: the credentials in the form, not in a header', async () => {
      const seen = serviceTokens(okta);
      await makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_post' }).getClientCredentialsToken({
        scopes: ['orders:read'],
      });
      expect(seen[0]!.headers.authorization).to.equal(undefined);
      expect(Object.fromEntries(seen[0]!.form)).to.include({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    });

    it('private_key_jwt: a signed assertion for the token endpoint, no secret, a new jti per request', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'svc-key-1', alg: 'RS256' };
      const seen = serviceTokens(okta, 2);
      const client = makeClient(okta, { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: jwk }, null);
      await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      await client.getClientCredentialsToken({ scopes: ['orders:write'] });
      const jtis = new Set<unknown>();
      for (const { form, headers } of seen) {
        expect(headers.authorization).to.equal(undefined);
        expect(form.has('client_secret')).to.equal(false);
        expect(form.get('client_assertion_type')).to.equal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        const assertion = form.get('client_assertion')!;
        expect(decodeProtectedHeader(assertion)).to.include({ alg: 'RS256', kid: 'svc-key-1' });
        const { payload } = await jwtVerify(assertion, publicKey, {
          audience: `${okta.issuer}/v1/token`,
          issuer: CLIENT_ID,
          subject: CLIENT_ID,
        });
        jtis.add(payload.jti);
      }
      expect(jtis.size).to.equal(2);
    });
  });

  describe('DPoP', () => {
    it("sends a proof, retries once with Okta's nonce, and returns a DPoP token", async () => {
      const proofs: string[] = [];
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(function () {
          proofs.push(this.req.headers.dpop as string);
          return [
            400,
            { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' },
            { 'DPoP-Nonce': 'n-1' },
          ];
        })
        .post(`${okta.path}/token`)
        .reply(function () {
          proofs.push(this.req.headers.dpop as string);
          return [200, { token_type: 'DPoP', expires_in: 3600, access_token: 'svc-dpop-at', scope: 'orders:read' }];
        });
      const token = await makeClient(okta, { dpop: true }).getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(token.tokenType).to.equal('DPoP');
      expect(proofs).to.have.length(2);
      const [first, second] = proofs.map((proof) => decodeJwt(proof));
      expect(first).to.include({ htm: 'POST', htu: `${okta.issuer}/v1/token` });
      expect(first!.nonce).to.equal(undefined);
      expect(second).to.include({ nonce: 'n-1' });
      for (const proof of proofs) await jwtVerify(proof, decodeProtectedHeader(proof).jwk as JWK, { typ: 'dpop+jwt' });
    });

    it('refuses a Bearer token when a proof was sent (a downgrade)', async () => {
      serviceTokens(okta);
      const err = await caught(makeClient(okta, { dpop: true }).getClientCredentialsToken({ scopes: ['orders:read'] }));
      expect(err).to.be.instanceOf(ResponseError).and.match(/DPoP/);
    });

    it('dpop: false sends no proof from a DPoP client; dpop: true without a DPoP key is a ConfigurationError', async () => {
      const seen = serviceTokens(okta);
      const token = await makeClient(okta, { dpop: true }).getClientCredentialsToken({ scopes: ['orders:read'], dpop: false });
      expect(token.tokenType).to.equal('Bearer');
      expect(seen[0]!.headers.dpop).to.equal(undefined);
      const err = await caught(makeClient(okta).getClientCredentialsToken({ scopes: ['orders:read'], dpop: true }));
      expect(err)
        .to.be.instanceOf(ConfigurationError)
        .and.match(/dpop option of the OktaClient/);
    });
  });

  describe('the cache', () => {
    it('keeps the token until 60 s before it expires, then asks again', async () => {
      const seen = serviceTokens(okta, 2);
      const time = clock();
      const client = makeClient(okta, { now: time.now });
      const first = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      time.advance(3600_000 - 60_000 - 1);
      expect(await client.getClientCredentialsToken({ scopes: ['orders:read'] })).to.deep.equal(first);
      expect(seen).to.have.length(1);
      time.advance(1);
      const second = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(second.accessToken).to.equal('svc-at-2');
      expect(seen).to.have.length(2);
    });

    it('renews a short-lived token a tenth of its lifetime before it expires', async () => {
      const seen = serviceTokens(okta, 2, { expires_in: 100 });
      const time = clock();
      const client = makeClient(okta, { now: time.now });
      await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      time.advance(89_999);
      await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(seen).to.have.length(1);
      time.advance(1);
      await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(seen).to.have.length(2);
    });

    it('keys tokens by the set of scopes and DPoP: the same set in another order is the same token', async () => {
      const seen = serviceTokens(okta, 2);
      const client = makeClient(okta);
      const both = await client.getClientCredentialsToken({ scopes: ['orders:read', 'orders:write'] });
      expect(await client.getClientCredentialsToken({ scopes: ['orders:write', 'orders:read'] })).to.deep.equal(both);
      const read = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(read.accessToken).not.to.equal(both.accessToken);
      expect(seen).to.have.length(2);
    });

    it('gives each caller its own copy', async () => {
      serviceTokens(okta);
      const client = makeClient(okta);
      const first = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      first.scopes.push('admin');
      first.expiresAt.setTime(0);
      const second = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(second.scopes).to.deep.equal(['orders:read']);
      expect(second.expiresAt.getTime()).to.be.above(0);
    });

    it('makes one request for 10 concurrent callers', async () => {
      let requests = 0;
      okta
        .scope()
        .post(`${okta.path}/token`)
        .delay(50)
        .reply(() => {
          requests += 1;
          return [200, { token_type: 'Bearer', expires_in: 3600, access_token: 'svc-at-shared', scope: 'orders:read' }];
        });
      const client = makeClient(okta);
      const tokens = await Promise.all(
        Array.from({ length: 10 }, () => client.getClientCredentialsToken({ scopes: ['orders:read'] })),
      );
      expect(requests).to.equal(1);
      expect(new Set(tokens.map((token) => token.accessToken))).to.deep.equal(new Set(['svc-at-shared']));
    });

    it('does not cache a failure: concurrent callers share it, the next call asks again', async () => {
      okta.scope().post(`${okta.path}/token`).delay(20).reply(503, 'upstream down');
      const seen = serviceTokens(okta);
      const client = makeClient(okta);
      const failures = await Promise.all(
        Array.from({ length: 3 }, () => caught(client.getClientCredentialsToken({ scopes: ['orders:read'] }))),
      );
      for (const err of failures) expect(err).to.be.instanceOf(ResponseError).with.property('oktaStatus', 503);
      expect((await client.getClientCredentialsToken({ scopes: ['orders:read'] })).accessToken).to.equal('svc-at-1');
      expect(seen).to.have.length(1);
    });

    it('holds at most 100 tokens, dropping the one written longest ago', async () => {
      const seen = serviceTokens(okta, 102);
      const client = makeClient(okta);
      for (let i = 0; i <= 100; i += 1) await client.getClientCredentialsToken({ scopes: [`scope:${i}`] });
      await client.getClientCredentialsToken({ scopes: ['scope:100'] });
      expect(seen).to.have.length(101);
      await client.getClientCredentialsToken({ scopes: ['scope:0'] });
      expect(seen).to.have.length(102);
    });
  });

  describe('errors', () => {
    it("is a TokenError with Okta's error code, and no secret in it", async () => {
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(401, { error: 'invalid_client', error_description: `Invalid value for 'client_secret' ${CLIENT_SECRET}` });
      const err = await caught(makeClient(okta).getClientCredentialsToken({ scopes: ['orders:read'] }));
      expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_client');
      expect((err as TokenError).oktaStatus).to.equal(401);
      expectNoLeak({ where: 'client credentials', outcome: { kind: 'error', error: err } }, [CLIENT_SECRET]);
    });

    it('keeps no private_key_jwt assertion in a refusal', async () => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'svc-key-1', alg: 'RS256' };
      let assertion = '';
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply((_uri, body) => {
          assertion = new URLSearchParams(body as string).get('client_assertion')!;
          return [400, { error: 'invalid_scope', error_description: `bad scope for ${assertion}` }];
        });
      const client = makeClient(okta, { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: jwk }, null);
      const err = await caught(client.getClientCredentialsToken({ scopes: ['orders:read'] }));
      expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_scope');
      expectNoLeak({ where: 'private_key_jwt refusal', outcome: { kind: 'error', error: err } }, [assertion]);
    });

    it('is a RateLimitError on 429, a RequestError on a refused connection or after the timeout', async () => {
      okta.scope().post(`${okta.path}/token`).reply(429, rateLimitedBody(), { 'x-rate-limit-reset': '1900000000' });
      expect(await caught(makeClient(okta).getClientCredentialsToken({ scopes: ['a'] }))).to.be.instanceOf(RateLimitError);
      okta.scope().post(`${okta.path}/token`).replyWithError('connect ECONNREFUSED 10.0.0.1:443');
      const refused = await caught(makeClient(okta).getClientCredentialsToken({ scopes: ['a'] }));
      expect(refused).to.be.instanceOf(RequestError).with.property('timeout', false);
      okta.scope().post(`${okta.path}/token`).delay(2000).reply(200, {});
      const started = Date.now();
      const hung = await caught(makeClient(okta, { timeout: 100 }).getClientCredentialsToken({ scopes: ['a'] }));
      expect(hung).to.be.instanceOf(RequestError).with.property('timeout', true);
      expect(Date.now() - started).to.be.below(1500);
    });

    it('refuses bad options before any request', async () => {
      const client = makeClient(okta);
      const bad: unknown[] = [
        undefined,
        {},
        { scopes: [] },
        { scopes: 'orders:read' },
        { scopes: ['two words'] },
        { scope: ['a'] },
      ];
      for (const options of bad) {
        const err = await caught(client.getClientCredentialsToken(options as { scopes: string[] }));
        expect(err, JSON.stringify(options)).to.be.instanceOf(ConfigurationError);
      }
      const typo = await caught(client.getClientCredentialsToken({ scopes: ['a'], scope: ['a'] } as { scopes: string[] }));
      expect(typo.message).to.include('"scope"').and.include('scopes');
    });
  });
});
