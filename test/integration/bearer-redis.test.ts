import { expect } from 'chai';
import { createClient } from 'redis';
import { accessClaims, call, dpopKey, proof, signingKey, signToken, startApi, type Api } from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { redisIntrospectionCache, redisReplayStore } from '../support/redis-bearer-stores.js';
import { hasRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';

// Several instances of one API behind one public URL, sharing DPoP replay protection and
// introspection answers through a real Redis on 127.0.0.1.

describe('OktaBearerStrategy on several instances sharing Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer | undefined;
  let client: ReturnType<typeof createClient>;
  let okta: HostileOkta;
  let instances: Api[];
  const PUBLIC = 'https://api.example.com';
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };

  before(async function () {
    if (!hasRedisServer()) {
      if (process.env.CI) throw new Error("redis-server is missing: CI must install Debian's redis-server (see .ci/run)");
      console.warn('      skipped: redis-server not found (apt-get install redis-server to run this test)');
      return this.skip();
    }
    redis = await startRedis();
    client = createClient({ url: redis.url });
    await client.connect();
    okta = await HostileOkta.start({ keys: [await signingKey('k1')] });
    const options = {
      oktaDomain: okta.origin,
      trustProxy: true,
      clientID: '0oaintro',
      clientSecret: 'intro-secret',
      dpopReplayStore: redisReplayStore(client),
      introspectionCache: redisIntrospectionCache(client),
    };
    instances = [await startApi(options), await startApi(options), await startApi(options)];
  });
  after(async () => {
    await Promise.all((instances ?? []).map((api) => api.close()));
    await okta?.close();
    await client?.quit();
    await redis?.stop();
  });

  it('refuses on every other instance a proof one instance accepted', async () => {
    const holder = await dpopKey();
    const token = await signToken(okta.keys[0]!, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
    const p = await proof(holder, 'GET', `${PUBLIC}/api/me`, token);
    const headers = { authorization: `DPoP ${token}`, dpop: p, ...forwarded };
    const [first, ...others] = instances;
    expect((await call(`${first!.origin}/api/me`, headers)).status).to.equal(200);
    for (const api of others) {
      const replay = await call(`${api.origin}/api/me`, headers);
      expect(replay.status).to.equal(401);
      expect(replay.headers['www-authenticate']).to.include('error="invalid_dpop_proof"').and.include('already used');
    }
    // Fresh proofs pass on every instance.
    for (const api of instances) {
      const fresh = { ...headers, dpop: await proof(holder, 'GET', `${PUBLIC}/api/me`, token) };
      expect((await call(`${api.origin}/api/me`, fresh)).status).to.equal(200);
    }
  });

  it('introspects an opaque token once for all instances', async () => {
    const now = Math.floor(Date.now() / 1000);
    okta.behaviour = {
      introspection: (t) =>
        t === 'opaque-shared'
          ? {
              active: true,
              scope: 'orders:read',
              client_id: '0oaspa',
              sub: 'svc',
              exp: now + 300,
              iat: now,
              iss: okta.issuer,
              aud: 'api://default',
            }
          : { active: false },
    };
    for (const api of instances) {
      const answer = await call(`${api.origin}/api/orders`, { authorization: 'Bearer opaque-shared' });
      expect(answer.status).to.equal(200);
    }
    expect(okta.introspections).to.have.length(1);
    const keys = await client.keys('okta-at:*');
    expect(keys).to.have.length(1);
    expect(keys[0]).not.to.include('opaque-shared');
  });
});

// Issue 18, findings 9 and 10: a Redis that stalls (SIGSTOP: connections open, no answer).
describe('OktaBearerStrategy when the shared Redis stalls', function () {
  this.timeout(30_000);
  let redis: RedisServer | undefined;
  let client: ReturnType<typeof createClient>;
  let okta: HostileOkta;
  let api: Api;

  before(async function () {
    if (!hasRedisServer()) {
      if (process.env.CI) throw new Error("redis-server is missing: CI must install Debian's redis-server (see .ci/run)");
      console.warn('      skipped: redis-server not found (apt-get install redis-server to run this test)');
      return this.skip();
    }
    redis = await startRedis();
    client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    await client.connect();
    okta = await HostileOkta.start({ keys: [await signingKey('k1')] });
  });
  const startStalledApi = async (proofMaxAge: number, introspect: 'always' | 'never', timeout: number): Promise<void> => {
    api = await startApi({
      oktaDomain: okta.origin,
      clientID: '0oaintro',
      clientSecret: 'intro-secret',
      introspect,
      dpopProofMaxAge: proofMaxAge,
      clockTolerance: 0,
      timeout,
      dpopReplayStore: redisReplayStore(client),
      introspectionCache: redisIntrospectionCache(client),
    });
  };
  afterEach(async () => {
    redis?.resume();
    await api?.close();
  });
  after(async () => {
    await okta?.close();
    await client?.quit().catch(() => undefined);
    await redis?.stop();
  });

  it('refuses every copy of a proof whose window ended while Redis stalled (no replay accepted)', async () => {
    await startStalledApi(1, 'never', 5_000); // the replay store is the only use of Redis, and answers within timeout
    const holder = await dpopKey();
    const token = await signToken(okta.keys[0]!, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
    okta.behaviour = { introspection: () => ({ active: true, ...accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }) }) };
    const url = `${api.origin}/api/me`;
    const p = await proof(holder, 'GET', url, token);
    await call(url, { authorization: `Bearer ${await signToken(okta.keys[0]!, accessClaims(okta.issuer))}` }); // warm
    redis!.pause();
    const copies = Array.from({ length: 12 }, () => call(url, { authorization: `DPoP ${token}`, dpop: p }));
    await new Promise((resolve) => setTimeout(resolve, 1_600)); // past the 1 s proof window
    redis!.resume();
    const answers = await Promise.all(copies);
    expect(answers.map((a) => a.status)).to.deep.equal(Array(12).fill(401));
    expect(String(answers[0]!.headers['www-authenticate'])).to.include('too old');
  });

  it('answers 503 within the timeout while Redis does not answer, treats the introspection cache as a miss, and heals', async () => {
    await startStalledApi(60, 'always', 1_500);
    const holder = await dpopKey();
    const claims = accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } });
    const token = await signToken(okta.keys[0]!, claims);
    okta.behaviour = { introspection: () => ({ active: true, ...claims }) };
    const url = `${api.origin}/api/me`;
    redis!.pause();
    const started = Date.now();
    const stalled = await call(url, { authorization: `DPoP ${token}`, dpop: await proof(holder, 'GET', url, token) });
    const elapsed = Date.now() - started;
    expect(stalled.status).to.equal(503);
    expect(JSON.parse(stalled.body)).to.include({ error: 'StoreUnavailableError' });
    // Bounded: the cache read, the cache write and the replay store each waited at most the timeout (1.5 s).
    expect(elapsed).to.be.below(6_000);
    const plain = await signToken(okta.keys[0]!, accessClaims(okta.issuer));
    okta.behaviour = { introspection: () => ({ active: true, ...accessClaims(okta.issuer) }) };
    expect((await call(url, { authorization: `Bearer ${plain}` })).status, 'a bearer token needs no replay store').to.equal(200);
    redis!.resume();
    const healed = await call(url, { authorization: `DPoP ${token}`, dpop: await proof(holder, 'GET', url, token) });
    expect(healed.status).to.equal(200);
  });
});
