import { expect } from 'chai';
import nock from 'nock';
import { Readable } from 'node:stream';
import type { JWTPayload } from 'jose';
import { MemoryRevocationStore, type Revocations } from '../../../lib/app/revocation.js';
import { universalLogoutReceiver, type UniversalLogoutOptions } from '../../../lib/app/universal-logout.js';
import { ConfigurationError, StoreUnavailableError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { CLIENT_ID, DOMAIN, makeKey, type TestKey } from '../../support/okta-mock.js';
import {
  brokenStore,
  fakeRequest,
  header,
  jti,
  nowSeconds,
  receiverStrategy,
  revocationsOver,
  signToken,
  signedIn,
  unsignedToken,
  type FakeRequestInit,
} from '../../support/logout-receivers.js';

// Okta's Universal Logout request, as its guide and the local provider send it: POST JSON
// with `Authorization: Bearer <JWT>`, the JWT signed with the org's key
// (`{org}/oauth2/v1/keys`), typed `global-token-revocation+jwt`, `aud` the endpoint's URL.
// Only Okta's key endpoints are mocked.

const ENDPOINT = 'https://app.example/auth/okta/universal-logout';
const CUSTOM_ISSUER = `${DOMAIN}/oauth2/default`;
const ALICE = { sub: '00u1alice', email: 'alice@example.com', sid: 'idx-alice-1' };

describe('universalLogoutReceiver (Okta Universal Logout)', function () {
  let orgKey: TestKey;
  let serverKey: TestKey;
  let strangerKey: TestKey;
  let revocations: Revocations;

  before(async () => {
    [orgKey, serverKey, strangerKey] = await Promise.all([makeKey('org-key'), makeKey('as-key'), makeKey('org-key')]);
  });
  beforeEach(() => {
    nock.disableNetConnect();
    revocations = revocationsOver();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  /** The org's key set; each receiver made has a key cache of its own and fetches it once. */
  function mockOrgKeys(): nock.Scope {
    return nock(DOMAIN)
      .persist()
      .get('/oauth2/v1/keys')
      .reply(200, { keys: [orgKey.jwk] });
  }

  function oktaClaims(extra: JWTPayload = {}): JWTPayload {
    const iat = nowSeconds();
    return { iss: DOMAIN, sub: CLIENT_ID, aud: ENDPOINT, iat, nbf: iat - 300, exp: iat + 300, jti: jti(), ...extra };
  }

  function oktaJwt(extra: JWTPayload = {}, key = orgKey, header: Record<string, unknown> = {}): Promise<string> {
    return signToken(oktaClaims(extra), key, { typ: 'global-token-revocation+jwt', ...header });
  }

  function post(jwt: string | undefined, body: unknown, { headers, ...init }: FakeRequestInit = {}) {
    return fakeRequest({
      headers: {
        'content-type': 'application/json',
        ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });
  }

  const byEmail = { subject: { format: 'email', email: ALICE.email } };

  function receiver(options: Partial<UniversalLogoutOptions> = {}, over = revocations) {
    return universalLogoutReceiver(over, receiverStrategy(), { endpoint: ENDPOINT, ...options });
  }

  describe('what Okta sends', () => {
    it('answers 204 to an email subject and ends the sessions of that email at the org, signed in until now', async () => {
      const keys = mockOrgKeys();
      const alice = signedIn({ email: ALICE.email });
      const answer = await receiver().handle(post(await oktaJwt(), byEmail));
      expect(answer.status).to.equal(204);
      expect(answer.body).to.equal('');
      expect(header(answer, 'Cache-Control')).to.equal('no-store');
      expect(await revocations.isRevoked(alice)).to.equal(true);
      expect(await revocations.isRevoked(signedIn({ email: 'bob@example.com', sub: '00u1bob' }))).to.equal(false);
      expect(await revocations.isRevoked(signedIn({ email: ALICE.email }, Date.now() + 1000)), 'a later sign-in').to.equal(false);
      keys.done();
    });

    it("ends the sessions of an iss_sub subject of the org at the org and at the strategy's own issuer", async () => {
      mockOrgKeys();
      const body = { subject: { format: 'iss_sub', iss: DOMAIN, sub: ALICE.sub } };
      expect((await receiver().handle(post(await oktaJwt(), body))).status).to.equal(204);
      expect(await revocations.isRevoked(signedIn({ sub: ALICE.sub }))).to.equal(true);
      expect(await revocations.isRevoked(signedIn({ iss: DOMAIN, sub: ALICE.sub }))).to.equal(true);
      expect(await revocations.isRevoked(signedIn({ sub: '00u1bob' }))).to.equal(false);
    });

    it('takes the draft\'s "sub_id" member as well, but not both at once', async () => {
      mockOrgKeys();
      const subject = { format: 'email', email: ALICE.email };
      expect((await receiver().handle(post(await oktaJwt(), { sub_id: subject }))).status).to.equal(204);
      const both = await receiver().handle(post(await oktaJwt(), { subject, sub_id: subject }));
      expect(both.status).to.equal(400);
    });

    it('answers 204 for a user it has never seen: the answer never tells which users exist', async () => {
      mockOrgKeys();
      const body = { subject: { format: 'email', email: 'nobody@example.com' } };
      expect((await receiver().handle(post(await oktaJwt(), body))).status).to.equal(204);
    });

    it('accepts the audience with or without the query of the registered endpoint', async () => {
      mockOrgKeys();
      const handler = receiver({ endpoint: `${ENDPOINT}?tenant=a` });
      expect((await handler.handle(post(await oktaJwt({ aud: ENDPOINT }), byEmail))).status).to.equal(204);
      expect((await handler.handle(post(await oktaJwt({ aud: `${ENDPOINT}?tenant=a` }), byEmail))).status).to.equal(204);
    });

    it("verifies with a custom authorization server's issuer and keys when told, with the strategy's key cache", async () => {
      const keys = nock(DOMAIN)
        .get('/oauth2/default/v1/keys')
        .once()
        .reply(200, { keys: [serverKey.jwk] });
      const strategy = receiverStrategy();
      const options = { endpoint: ENDPOINT, issuer: CUSTOM_ISSUER };
      const jwt = () => oktaJwt({ iss: CUSTOM_ISSUER }, serverKey);
      expect((await universalLogoutReceiver(revocations, strategy, options).handle(post(await jwt(), byEmail))).status).to.equal(
        204,
      );
      // A second receiver of the same strategy fetches nothing: the key set is the strategy's.
      expect((await universalLogoutReceiver(revocations, strategy, options).handle(post(await jwt(), byEmail))).status).to.equal(
        204,
      );
      keys.done();
    });

    it('reads a body that express.json() parsed, and the stream of one that Express 4 left as {}', async () => {
      mockOrgKeys();
      const parsed = post(await oktaJwt(), '', { parsed: byEmail });
      expect((await receiver().handle(parsed)).status).to.equal(204);
      const skipped = post(await oktaJwt(), byEmail, { parsed: {} });
      expect((await receiver().handle(skipped)).status).to.equal(204);
    });
  });

  describe('attacks', () => {
    async function refusedWith401(jwt: string | undefined, init: FakeRequestInit = {}) {
      const alice = signedIn({ email: ALICE.email });
      const answer = await receiver().handle(post(jwt, byEmail, init));
      expect(answer.status, answer.body).to.equal(401);
      expect(await revocations.isRevoked(alice), 'nothing revoked').to.equal(false);
      return answer;
    }

    it('answers 401 with WWW-Authenticate: Bearer to a request without a bearer JWT', async () => {
      const none = await refusedWith401(undefined);
      expect(header(none, 'WWW-Authenticate')).to.equal('Bearer');
      await refusedWith401(undefined, { headers: { authorization: 'Basic b2t0YTpva3Rh' } });
    });

    it('refuses a forged signature (a key of the same kid that Okta never published)', async () => {
      mockOrgKeys();
      const answer = await refusedWith401(await oktaJwt({}, strangerKey));
      expect(header(answer, 'WWW-Authenticate')).to.equal('Bearer error="invalid_token"');
      expect(answer.body).to.include('signature');
    });

    it('refuses alg "none" without fetching keys', async () => {
      await refusedWith401(unsignedToken(oktaClaims(), { typ: 'global-token-revocation+jwt' }));
    });

    it('refuses a JWT of another issuer, and one signed by a custom server claiming the org', async () => {
      mockOrgKeys();
      await refusedWith401(await oktaJwt({ iss: 'https://evil.okta.com' }));
      await refusedWith401(await oktaJwt({ iss: CUSTOM_ISSUER }));
      await refusedWith401(await oktaJwt({}, serverKey));
    });

    it("refuses a JWT for another app's endpoint (aud)", async () => {
      mockOrgKeys();
      await refusedWith401(await oktaJwt({ aud: 'https://other.example/auth/okta/universal-logout' }));
      await refusedWith401(await oktaJwt({ aud: CLIENT_ID }));
    });

    it('refuses a JWT without typ, or with the typ of an ID or access token', async () => {
      mockOrgKeys();
      await refusedWith401(await signToken(oktaClaims(), orgKey));
      await refusedWith401(await oktaJwt({}, orgKey, { typ: 'JWT' }));
      await refusedWith401(await oktaJwt({}, orgKey, { typ: 'application/okta-internal-at+jwt' }));
    });

    it('refuses an expired JWT, one not valid yet, one issued in the future, one issued too long ago', async () => {
      mockOrgKeys();
      const now = nowSeconds();
      await refusedWith401(await oktaJwt({ iat: now - 700, nbf: now - 700, exp: now - 400 }));
      await refusedWith401(await oktaJwt({ nbf: now + 600 }));
      await refusedWith401(await oktaJwt({ iat: now + 600, nbf: now - 10 }));
      await refusedWith401(await oktaJwt({ iat: now - 500, nbf: now - 500, exp: now + 3600 }));
      await refusedWith401(await oktaJwt({ exp: undefined }));
      await refusedWith401(await oktaJwt({ jti: undefined }));
    });

    it('refuses a replayed JWT (jti), also at another instance sharing the revocation store', async () => {
      mockOrgKeys();
      const store = new MemoryRevocationStore();
      const first = receiver({}, revocationsOver(store));
      const second = receiver({}, revocationsOver(store));
      const jwt = await oktaJwt();
      expect((await first.handle(post(jwt, byEmail))).status).to.equal(204);
      const again = await first.handle(post(jwt, byEmail));
      expect(again.status).to.equal(401);
      expect(again.body).to.include('jti');
      expect((await second.handle(post(jwt, byEmail))).status).to.equal(401);
      // A replay must not move the revocation: a sign-in after the first request survives it.
      const later = signedIn({ email: ALICE.email }, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await second.handle(post(jwt, byEmail))).status).to.equal(401);
      expect(await revocationsOver(store).isRevoked(later)).to.equal(false);
    });

    it('refuses oversized bodies with 413, whether declared, streamed or already parsed', async () => {
      mockOrgKeys();
      const big = { subject: { format: 'email', email: ALICE.email }, padding: 'x'.repeat(9000) };
      const declared = await receiver().handle(post(await oktaJwt(), big, { headers: { 'content-length': '9100' } }));
      expect(declared.status).to.equal(413);
      expect((await receiver().handle(post(await oktaJwt(), big))).status).to.equal(413);
      expect((await receiver().handle(post(await oktaJwt(), '', { parsed: big }))).status).to.equal(413);
      const small = receiver({ maxBodyBytes: 1024 });
      expect((await small.handle(post(await oktaJwt(), { ...byEmail, padding: 'x'.repeat(1100) }))).status).to.equal(413);
    });
  });

  describe('malformed requests', () => {
    it('answers 400 to bodies that name no subject it can act on', async () => {
      mockOrgKeys();
      const bodies: unknown[] = [
        '{"subject":',
        '[]',
        'null',
        {},
        { subject: 'alice@example.com' },
        { subject: { format: 'opaque', id: ALICE.sub } },
        { subject: { format: 'email', email: 'not an email' } },
        { subject: { format: 'email', email: ['alice@example.com'] } },
        { subject: { format: 'iss_sub', iss: DOMAIN } },
        { subject: { format: 'iss_sub', iss: DOMAIN, sub: '' } },
      ];
      for (const body of bodies) {
        const answer = await receiver().handle(post(await oktaJwt(), body));
        expect(answer.status, JSON.stringify(body)).to.equal(400);
        expect(JSON.parse(answer.body)).to.have.property('error', 'invalid_request');
      }
    });

    it('answers 415 to a body that is not JSON, and 405 to another method than POST', async () => {
      mockOrgKeys();
      const form = await receiver().handle(
        post(await oktaJwt(), 'subject=alice', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      );
      expect(form.status).to.equal(415);
      const get = await receiver().handle(fakeRequest({ method: 'GET' }));
      expect(get.status).to.equal(405);
      expect(header(get, 'Allow')).to.equal('POST');
    });

    it('answers 408 when the body does not arrive in time', async () => {
      mockOrgKeys();
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${await oktaJwt()}` };
      const stalled = Object.assign(new Readable({ read: () => undefined }), { method: 'POST', url: '/', headers });
      const answer = await receiver({ bodyTimeout: 50 }).handle(stalled as unknown as OktaRequest);
      expect(answer.status).to.equal(408);
      expect(header(answer, 'Connection')).to.equal('close');
    });
  });

  describe('outages', () => {
    for (const kind of ['throws', 'hangs'] as const) {
      it(`answers 503 when the revocation store ${kind}, within its timeout, and tells onError`, async () => {
        mockOrgKeys();
        const errors: unknown[] = [];
        const handler = receiver({ onError: (err) => errors.push(err) }, revocationsOver(brokenStore(kind), 100));
        const started = Date.now();
        const answer = await handler.handle(post(await oktaJwt(), byEmail));
        expect(answer.status).to.equal(503);
        expect(header(answer, 'Retry-After')).to.equal('5');
        expect(Date.now() - started).to.be.below(1000);
        expect(errors).to.have.length(1);
        expect(errors[0]).to.be.instanceOf(StoreUnavailableError);
      });
    }

    it("answers 503, not 401, when Okta's key set cannot be fetched", async () => {
      nock(DOMAIN).get('/oauth2/v1/keys').reply(500, 'down');
      const answer = await receiver().handle(post(await oktaJwt(), byEmail));
      expect(answer.status).to.equal(503);
    });
  });

  describe('configuration', () => {
    it('needs an absolute https endpoint (http on loopback only), without fragment, and known option names', () => {
      const strategy = receiverStrategy();
      const make = (options: unknown) => () => universalLogoutReceiver(revocations, strategy, options as UniversalLogoutOptions);
      expect(make({})).to.throw(ConfigurationError, 'endpoint');
      expect(make({ endpoint: '/auth/okta/universal-logout' })).to.throw(ConfigurationError);
      expect(make({ endpoint: 'http://app.example/ul' })).to.throw(ConfigurationError, 'https');
      expect(make({ endpoint: `${ENDPOINT}#x` })).to.throw(ConfigurationError);
      expect(make({ endpoint: ENDPOINT, audience: ENDPOINT })).to.throw(ConfigurationError, 'audience');
      expect(make({ endpoint: ENDPOINT, issuer: `${DOMAIN}/` })).to.throw(ConfigurationError, 'issuer');
      expect(make({ endpoint: ENDPOINT, maxBodyBytes: 10 })).to.throw(ConfigurationError, 'maxBodyBytes');
      expect(make({ endpoint: 'http://localhost:3000/ul' })).not.to.throw();
    });
  });
});
