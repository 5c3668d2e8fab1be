import { expect } from 'chai';
import { createClient } from 'redis';
import {
  accessClaims,
  call,
  dpopKey,
  proof,
  signingKey,
  signToken,
  startApi,
  startFakeOkta,
  type Api,
  type FakeOktaServer,
} from './support/bearer.js';
import { redisIntrospectionCache, redisReplayStore } from './support/redis-bearer-stores.js';
import { hasRedisServer, startRedis, type RedisServer } from './support/redis-server.js';

// Several instances of one API behind one public URL, sharing DPoP replay protection and
// introspection answers through a real Redis on 127.0.0.1.

describe('OktaBearerStrategy on several instances sharing Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer | undefined;
  let client: ReturnType<typeof createClient>;
  let okta: FakeOktaServer;
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
    okta = await startFakeOkta([await signingKey('k1')]);
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
    okta.introspect = (t) =>
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
        : { active: false };
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
