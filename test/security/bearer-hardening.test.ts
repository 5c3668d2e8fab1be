import { expect } from 'chai';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { MemoryDPoPReplayStore, MemoryIntrospectionCache } from '../../lib/bearer.js';
import {
  accessClaims,
  call,
  dpopKey,
  proof,
  signingKey,
  signToken,
  startApi,
  type Api,
  type DPoPKey,
  type SigningKey,
} from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';

// Issue 18, the API strategy's findings: each test attacks or faults through the public
// API over real HTTP, and failed on the code before the fix.

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const challenge = (answer: { headers: Record<string, unknown> }): string => String(answer.headers['www-authenticate'] ?? '');

describe('OktaBearerStrategy hardening (issue 18)', function () {
  this.timeout(20_000);
  let okta: HostileOkta;
  let key: SigningKey;
  const apis: Api[] = [];
  before(async () => {
    key = await signingKey('k1');
    okta = await HostileOkta.start({ keys: [key], orgServer: true });
  });
  afterEach(async () => {
    await Promise.all(apis.splice(0).map((api) => api.close()));
    okta.reset(); // honest answers, no introspection recorded, no key fetch counted
    okta.rotate([key]);
  });
  after(async () => {
    await okta.close();
  });

  async function api(options: Parameters<typeof startApi>[0]): Promise<Api> {
    const started = await startApi(options);
    apis.push(started);
    return started;
  }

  /** The org authorization server's introspection, as Okta answers for an active access token. */
  const orgIntrospection = { oktaDomain: '', authServerId: undefined, clientID: '0oaintro', clientSecret: 'intro-secret' };
  const activeAnswer = (extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      active: true,
      token_type: 'Bearer',
      scope: 'openid orders:read',
      client_id: '0oaspa',
      username: 'alice@example.com',
      exp: now + 3600,
      iat: now,
      sub: 'alice@example.com',
      aud: 'api://orders',
      iss: okta.origin,
      jti: 'AT.opaque',
      uid: '00ualice',
      ...extra,
    };
  };

  describe('finding 2: a shared introspection cache', () => {
    it('puts a cached answer through the audience and client checks of each API', async () => {
      const cache = new MemoryIntrospectionCache();
      const shared = { ...orgIntrospection, oktaDomain: okta.origin, introspectionCache: cache };
      const orders = await api({ ...shared, audience: 'api://orders' });
      const billing = await api({ ...shared, audience: 'api://billing' });
      const restricted = await api({ ...shared, audience: 'api://orders', clientIds: ['0oa-reports'] });
      okta.behaviour = { introspection: () => activeAnswer() };
      const token = 'opaqueAccessToken0123456789';
      expect((await call(`${orders.origin}/api/me`, bearer(token))).status).to.equal(200);
      expect(cache.size).to.equal(1);
      const other = await call(`${billing.origin}/api/me`, bearer(token));
      expect(other.status).to.equal(401);
      expect(challenge(other)).to.include('not meant for this API (aud)');
      const wrongClient = await call(`${restricted.origin}/api/me`, bearer(token));
      expect(wrongClient.status).to.equal(401);
      expect(challenge(wrongClient)).to.include('(cid)');
      // The refusals came from the cached answer: Okta was asked once.
      expect(okta.introspections).to.have.length(1);
    });

    it('treats garbage in a shared cache as a miss, and a cache slower than timeout as a miss', async () => {
      const slow = {
        get: () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
        set: () => new Promise<void>((resolve) => setTimeout(resolve, 5_000)),
      };
      const orders = await api({
        ...orgIntrospection,
        oktaDomain: okta.origin,
        audience: 'api://orders',
        introspectionCache: slow,
        timeout: 300,
      });
      okta.behaviour = { introspection: () => activeAnswer() };
      const started = Date.now();
      expect((await call(`${orders.origin}/api/me`, bearer('opaqueAccessToken0123456789'))).status).to.equal(200);
      expect(Date.now() - started).to.be.below(2_000);
      const garbage = { get: () => 'not claims' as never, set: () => undefined };
      const other = await api({
        ...orgIntrospection,
        oktaDomain: okta.origin,
        audience: 'api://orders',
        introspectionCache: garbage,
      });
      expect((await call(`${other.origin}/api/me`, bearer('opaqueAccessToken0123456789'))).status).to.equal(200);
    });
  });

  describe('finding 3: a refresh token is not an access token', () => {
    it("refuses Okta's introspection answer for a refresh token (no aud, no iss) with 401", async () => {
      const orders = await api({ ...orgIntrospection, oktaDomain: okta.origin, audience: 'api://orders' });
      const now = Math.floor(Date.now() / 1000);
      okta.behaviour = {
        introspection: () => ({
          active: true,
          token_type: 'Bearer',
          scope: 'openid profile email',
          client_id: '0oaspa',
          username: 'alice@example.com',
          exp: now + 3600,
          sub: 'alice@example.com',
          device_id: 'q4SZgrA9sOeHkfst5uaa',
        }),
      };
      const answer = await call(`${orders.origin}/api/me`, bearer('opaqueRefreshToken0123456789'));
      expect(answer.status).to.equal(401);
      expect(challenge(answer)).to.include('error="invalid_token"').and.include('no aud');
      okta.behaviour = { introspection: () => activeAnswer({ iss: undefined }) };
      const noIssuer = await call(`${orders.origin}/api/me`, bearer('anotherOpaqueToken0123456789'));
      expect(noIssuer.status).to.equal(401);
      expect(challenge(noIssuer)).to.include('(iss is missing, not the expected');
    });
  });

  describe('finding 4: garbage never becomes Okta traffic or a 500', () => {
    const unsigned = (payload: Record<string, unknown>): string =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

    it('refuses JWT-shaped tokens that fail the local checks with 401, without introspection', async () => {
      const orders = await api({ ...orgIntrospection, oktaDomain: okta.origin, audience: 'api://orders' });
      const now = Math.floor(Date.now() / 1000);
      const other = await signingKey('other');
      const refused = [
        unsigned({ iss: okta.origin, sub: 'alice', exp: now + 60 }),
        `${unsigned({ iss: okta.origin }).slice(0, -1)}.extra`,
        await signToken(other, accessClaims('https://evil.example', { aud: 'api://orders' })),
        await signToken(other, accessClaims(okta.origin, { aud: 'api://orders', exp: now - 3600 })),
        await signToken(other, accessClaims(okta.origin, { aud: 'api://orders' }), { alg: 'HS256' as never }).catch(
          () => 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln',
        ),
        'a.b',
        'short',
        'has~tilde+and/slash==',
      ];
      for (const token of refused) {
        const answer = await call(`${orders.origin}/api/me`, bearer(token));
        expect(answer.status, token).to.equal(401);
        expect(challenge(answer)).to.include('error="invalid_token"');
      }
      expect(okta.introspections, 'introspection calls').to.have.length(0);
      // The same on a custom server, which verifies JWTs itself: an unsigned JWT is not introspected either.
      const custom = await api({ oktaDomain: okta.origin, clientID: '0oaintro', clientSecret: 'intro-secret' });
      expect((await call(`${custom.origin}/api/me`, bearer(unsigned({ iss: okta.issuer })))).status).to.equal(401);
      expect(okta.introspections).to.have.length(0);
    });

    it("answers Okta's 400 for the client's token with 401, and asks Okta once for a token it refused", async () => {
      const orders = await api({ ...orgIntrospection, oktaDomain: okta.origin, audience: 'api://orders' });
      okta.behaviour = {
        introspect: () => ({
          status: 400,
          body: { error: 'invalid_request', error_description: 'The token is invalid.' },
        }),
      };
      for (let i = 0; i < 20; i++) {
        const answer = await call(`${orders.origin}/api/me`, bearer('opaqueGarbageToken0123456789'));
        expect(answer.status).to.equal(401);
      }
      okta.behaviour = {};
      for (let i = 0; i < 20; i++) {
        expect((await call(`${orders.origin}/api/me`, bearer('inactiveOpaqueToken0123456'))).status).to.equal(401);
      }
      expect(okta.introspections).to.have.length(2);
    });

    it("honours Okta's 429: 503 with Retry-After, no call before the reset, then calls again", async () => {
      let now = Date.now();
      const orders = await api({ ...orgIntrospection, oktaDomain: okta.origin, audience: 'api://orders', now: () => now });
      const reset = Math.floor(now / 1000) + 30;
      okta.behaviour = {
        introspect: () => ({
          status: 429,
          headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
          body: {
            errorCode: 'E0000047',
            errorSummary: 'API call exceeded rate limit due to too many requests.',
            errorCauses: [],
          },
        }),
      };
      for (let i = 0; i < 5; i++) {
        const answer = await call(`${orders.origin}/api/me`, bearer(`rateLimitedOpaqueToken${i}xxxx`));
        expect(answer.status).to.equal(503);
        const retryAfter = Number(answer.headers['retry-after']);
        expect(retryAfter).to.be.within(25, 31);
      }
      expect(okta.introspections).to.have.length(1);
      now = reset * 1000 + 1000;
      okta.behaviour = { introspection: () => activeAnswer({ exp: Math.floor(now / 1000) + 600, iat: Math.floor(now / 1000) }) };
      expect((await call(`${orders.origin}/api/me`, bearer('rateLimitedOpaqueToken0xxxx'))).status).to.equal(200);
      expect(okta.introspections).to.have.length(2);
    });

    it('with only Retry-After, waits that long', async () => {
      const orders = await api({ ...orgIntrospection, oktaDomain: okta.origin, audience: 'api://orders' });
      okta.behaviour = { introspect: () => ({ status: 429, headers: { 'retry-after': '20' }, body: { errorCode: 'E0000047' } }) };
      const first = await call(`${orders.origin}/api/me`, bearer('retryAfterOpaqueToken01234'));
      expect(first.status).to.equal(503);
      expect(Number(first.headers['retry-after'])).to.be.within(18, 21);
      expect((await call(`${orders.origin}/api/me`, bearer('retryAfterOpaqueToken56789'))).status).to.equal(503);
      expect(okta.introspections).to.have.length(1);
    });
  });

  describe('findings 5 and 6: DPoP proof keys', () => {
    let holder: DPoPKey;
    before(async () => {
      holder = await dpopKey('PS256');
    });
    const dpop = (token: string, p: string): Record<string, string> => ({ authorization: `DPoP ${token}`, dpop: p });

    it('refuses a proof whose jwk carries any private member (RSA p, q, dp, dq, qi, oth)', async () => {
      const resource = await api({ oktaDomain: okta.origin });
      const token = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
      const url = `${resource.origin}/api/me`;
      expect((await call(url, dpop(token, await proof(holder, 'GET', url, token)))).status).to.equal(200);
      const secret = randomBytes(128).toString('base64url');
      for (const member of ['p', 'q', 'dp', 'dq', 'qi', 'oth']) {
        const value = member === 'oth' ? [{ r: secret, d: secret, t: secret }] : secret;
        const p = await proof(holder, 'GET', url, token, {}, { jwk: { ...holder.jwk, [member]: value } });
        const answer = await call(url, dpop(token, p));
        expect(answer.status, member).to.equal(401);
        expect(challenge(answer)).to.include('invalid_dpop_proof').and.include('not a public key');
      }
    });

    it("compares the key's thumbprint with cnf.jkt before any signature work", async () => {
      const resource = await api({ oktaDomain: okta.origin });
      const url = `${resource.origin}/api/me`;
      const boundToHolder = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
      // Signed by the holder, but naming another key: refused on the thumbprint, no signature checked.
      const foreign = await dpopKey('PS256');
      const answer = await call(
        url,
        dpop(boundToHolder, await proof(holder, 'GET', url, boundToHolder, {}, { jwk: foreign.jwk })),
      );
      expect(answer.status).to.equal(401);
      expect(challenge(answer)).to.include('error="invalid_token"').and.include('bound to another DPoP key');
    });

    it('refuses an RSA proof key with a huge exponent before importing it, whatever the token is bound to', async () => {
      const resource = await api({ oktaDomain: okta.origin });
      const url = `${resource.origin}/api/me`;
      // An RSA public key with a 2048-bit exponent: costly to verify with, cheap to send.
      const huge = { ...holder.jwk, e: Buffer.concat([Buffer.from([0xff]), randomBytes(255)]).toString('base64url') } as JWK;
      const forged = await proof(holder, 'GET', url, undefined, {}, { jwk: huge });
      for (const jkt of [holder.jkt, await calculateJwkThumbprint(huge)]) {
        const token = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt } }));
        const answer = await call(url, dpop(token, forged));
        expect(answer.status).to.equal(401);
        expect(challenge(answer)).to.include('invalid_dpop_proof').and.include('RSA exponent');
      }
    });
  });

  describe('finding 7: htu and the Host header', () => {
    let holder: DPoPKey;
    before(async () => {
      holder = await dpopKey();
    });

    it('with allowedHosts, refuses a request naming another host, so a proof captured at another server fails', async () => {
      const resource = await api({ oktaDomain: okta.origin, allowedHosts: ['api.example.com'] });
      const token = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
      const captured = await proof(holder, 'GET', 'http://reports.example.com/api/me', token);
      const replayed = await call(`${resource.origin}/api/me`, {
        authorization: `DPoP ${token}`,
        dpop: captured,
        host: 'reports.example.com',
      });
      expect(replayed.status).to.equal(400);
      expect(String(replayed.headers['www-authenticate'])).to.include('invalid_request').and.include('allowedHosts');
      const own = await proof(holder, 'GET', 'http://api.example.com/api/me', token);
      const ok = await call(`${resource.origin}/api/me`, { authorization: `DPoP ${token}`, dpop: own, host: 'api.example.com' });
      expect(ok.status).to.equal(200);
    });

    it('with origin, compares htu with the public origin whatever Host says', async () => {
      const resource = await api({ oktaDomain: okta.origin, origin: 'https://api.example.com' });
      const token = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
      const captured = await proof(holder, 'GET', 'https://reports.example.com/api/me', token);
      const replayed = await call(`${resource.origin}/api/me`, {
        authorization: `DPoP ${token}`,
        dpop: captured,
        host: 'reports.example.com',
      });
      expect(replayed.status).to.equal(401);
      expect(challenge(replayed)).to.include('(htu)');
      const own = await proof(holder, 'GET', 'https://api.example.com/api/me', token);
      expect(
        (await call(`${resource.origin}/api/me`, { authorization: `DPoP ${token}`, dpop: own, host: 'anything.example' })).status,
      ).to.equal(200);
    });

    it('refuses an origin with a path at construction', async () => {
      let thrown: unknown;
      try {
        await api({ oktaDomain: okta.origin, origin: 'https://api.example.com/v1' });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.have.property('code', 'ERR_OKTA_CONFIGURATION');
    });
  });

  describe('findings 11 and 12: signing keys that change', () => {
    it('lets a burst of tokens with a new kid wait for the key set fetch already in flight', async () => {
      let now = Date.now();
      const resource = await api({ oktaDomain: okta.origin, now: () => now });
      expect((await call(`${resource.origin}/api/me`, bearer(await signToken(key, accessClaims(okta.issuer))))).status).to.equal(
        200,
      );
      const rotated = await signingKey('k2');
      okta.keys = [key, rotated];
      okta.behaviour = { delay: { keys: 150 } };
      now += 31_000; // past the refetch cooldown
      const tokens = await Promise.all(Array.from({ length: 100 }, () => signToken(rotated, accessClaims(okta.issuer))));
      const answers = await Promise.all(tokens.map((t) => call(`${resource.origin}/api/me`, bearer(t))));
      expect(answers.filter((a) => a.status !== 200).map((a) => challenge(a))).to.deep.equal([]);
      expect(okta.hits.keys).to.equal(2);
    });

    it('drops the cached verdict of a token whose key left the key set', async () => {
      let now = Date.now();
      const resource = await api({ oktaDomain: okta.origin, now: () => now });
      const old = await signToken(key, accessClaims(okta.issuer));
      for (let i = 0; i < 3; i++) expect((await call(`${resource.origin}/api/me`, bearer(old))).status).to.equal(200);
      const rotated = await signingKey('k2');
      okta.keys = [rotated]; // k1 removed, e.g. after a compromise
      now += 31_000;
      expect(
        (await call(`${resource.origin}/api/me`, bearer(await signToken(rotated, accessClaims(okta.issuer))))).status,
      ).to.equal(200);
      const after = await call(`${resource.origin}/api/me`, bearer(old));
      expect(after.status).to.equal(401);
      expect(challenge(after)).to.include('unknown key');
    });
  });

  describe('issue 24: a token the cache remembers meets every check a new one meets', () => {
    // A key set refetched at every full verification (jwksMaxAge: 1 ms): a request that
    // fetches no keys was answered from the cache.
    const refreshEachTime = { jwksMaxAge: 1, jwksCooldown: 1 };
    const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
    let holder: DPoPKey;
    let thief: DPoPKey;
    before(async () => {
      [holder, thief] = await Promise.all([dpopKey(), dpopKey()]);
    });

    /** Sends the token until the API remembers it, and proves the last request was a hit. */
    async function remember(resource: Api, headers: () => Promise<Record<string, string>>): Promise<void> {
      for (let i = 0; i < 2; i++) {
        await pause();
        expect((await call(`${resource.origin}/api/me`, await headers())).status, `sight ${i + 1}`).to.equal(200);
      }
      await pause();
      const fetched = okta.hits.keys;
      expect((await call(`${resource.origin}/api/me`, await headers())).status).to.equal(200);
      expect(okta.hits.keys, 'answered from the cache').to.equal(fetched);
    }
    /** The answer to a request that the cache answers (no key fetch). */
    async function hit(resource: Api, headers: Record<string, string>, path = '/api/me') {
      await pause();
      const fetched = okta.hits.keys;
      const answer = await call(`${resource.origin}${path}`, headers);
      expect(okta.hits.keys, 'answered from the cache').to.equal(fetched);
      return answer;
    }

    it('scopes: a remembered token without the scope gets 403 insufficient_scope', async () => {
      const resource = await api({ oktaDomain: okta.origin, ...refreshEachTime });
      const t = await signToken(key, accessClaims(okta.issuer, { scp: ['openid'] }));
      await remember(resource, async () => bearer(t));
      const answer = await hit(resource, bearer(t), '/api/orders');
      expect(answer.status).to.equal(403);
      expect(challenge(answer)).to.include('error="insufficient_scope"').and.include('scope="orders:read"');
    });

    it('DPoP binding: a remembered bound token is refused as Bearer, with a replayed proof, or with a thief’s proof', async () => {
      const resource = await api({ oktaDomain: okta.origin, ...refreshEachTime });
      const t = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
      const url = `${resource.origin}/api/me`;
      const dpop = async (signer = holder) => ({ authorization: `DPoP ${t}`, dpop: await proof(signer, 'GET', url, t) });
      await remember(resource, () => dpop());
      const asBearer = await hit(resource, bearer(t));
      expect(asBearer.status).to.equal(401);
      expect(challenge(asBearer)).to.include('The access token is DPoP-bound');
      const used = await dpop();
      expect((await call(url, used)).status).to.equal(200);
      const replayed = await hit(resource, used);
      expect(replayed.status).to.equal(401);
      expect(challenge(replayed)).to.include('error="invalid_dpop_proof"');
      const stolen = await hit(resource, await dpop(thief));
      expect(stolen.status).to.equal(401);
      expect(challenge(stolen)).to.include('error="invalid_token"');
    });

    it('DPoP binding: an unbound remembered token is refused with the DPoP scheme', async () => {
      const resource = await api({ oktaDomain: okta.origin, ...refreshEachTime });
      const t = await signToken(key, accessClaims(okta.issuer));
      await remember(resource, async () => bearer(t));
      const url = `${resource.origin}/api/me`;
      const answer = await hit(resource, { authorization: `DPoP ${t}`, dpop: await proof(holder, 'GET', url, t) });
      expect(answer.status).to.equal(401);
      expect(challenge(answer)).to.include('The access token is not DPoP-bound');
    });

    it('iss, aud, cid: what one API remembers, another API of the same process checks for itself', async () => {
      const first = await api({ oktaDomain: okta.origin, ...refreshEachTime });
      const t = await signToken(key, accessClaims(okta.issuer));
      await remember(first, async () => bearer(t));
      const others: Array<[Parameters<typeof startApi>[0], string]> = [
        [{ oktaDomain: okta.origin, audience: 'api://other' }, 'not meant for this API (aud)'],
        [{ oktaDomain: okta.origin, clientIds: ['0oaother'] }, 'a client this API does not accept (cid)'],
        [{ oktaDomain: okta.origin, issuer: 'https://other.example/oauth2/default' }, 'another authorization server'],
      ];
      for (const [options, refusal] of others) {
        const other = await api(options);
        for (let i = 0; i < 3; i++) {
          const answer = await call(`${other.origin}/api/me`, bearer(t));
          expect(answer.status, refusal).to.equal(401);
          expect(challenge(answer)).to.include(refusal);
        }
      }
      expect((await hit(first, bearer(t))).status, 'still remembered where it was accepted').to.equal(200);
    });

    it('exp: a remembered token is refused once it expires', async () => {
      let offset = 0;
      const now = (): number => Date.now() + offset;
      const resource = await api({ oktaDomain: okta.origin, ...refreshEachTime, now, clockTolerance: 0 });
      const t = await signToken(key, accessClaims(okta.issuer, { exp: Math.floor(now() / 1000) + 30 }));
      await remember(resource, async () => bearer(t));
      offset += 31_000;
      const answer = await call(`${resource.origin}/api/me`, bearer(t));
      expect(answer.status).to.equal(401);
      expect(challenge(answer)).to.include('The access token expired');
    });
  });

  describe('finding 16: one token holder cannot lock everyone out of DPoP', () => {
    it('bounds the proofs one key holds in the memory replay store; other keys go on', async () => {
      const store = new MemoryDPoPReplayStore({ maxEntries: 50 });
      const resource = await api({ oktaDomain: okta.origin, dpopReplayStore: store });
      const url = `${resource.origin}/api/me`;
      const greedy = await dpopKey();
      const greedyToken = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: greedy.jkt } }));
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) {
        statuses.push(
          (await call(url, { authorization: `DPoP ${greedyToken}`, dpop: await proof(greedy, 'GET', url, greedyToken) })).status,
        );
      }
      expect(statuses.filter((s) => s === 200)).to.have.length(5);
      expect(statuses.filter((s) => s === 503)).to.have.length(55);
      for (let client = 0; client < 5; client++) {
        const other = await dpopKey();
        const token = await signToken(key, accessClaims(okta.issuer, { cnf: { jkt: other.jkt } }));
        expect(
          (await call(url, { authorization: `DPoP ${token}`, dpop: await proof(other, 'GET', url, token) })).status,
        ).to.equal(200);
      }
    });
  });
});
