import { expect } from 'chai';
import { accessClaims, call, dpopKey, proof, signingKey, signToken, type Answer, type DPoPKey } from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';
import {
  BOUND_MS,
  expectAlive,
  expectBounded5xx,
  expectBuilt,
  HEAL_MS,
  skipWithoutRedis,
  startRecipe,
  stopRecipe,
  timed,
  until,
  type Instance,
} from '../support/recipes.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

// The API recipe of docs/api-protection.md (example/recipes/api-redis.ts, quoted there word
// for word) run as it is, three instances as child processes, against a real redis-server
// that the test kills and restarts mid-run: every instance stays up, what needs Redis
// answers a 5xx within a bound (never a success for a replayed DPoP proof), and the
// instances heal by themselves. Okta's keys and introspection are the hostile provider's:
// the tokens are signed here, and the introspection answers and calls are the test's.

describe('the Redis recipe of docs/api-protection.md (example/recipes/api-redis.ts), three instances', function () {
  this.timeout(120_000);
  const PUBLIC = 'https://api.example.com';
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };
  let redis: RedisServer | undefined;
  let okta: HostileOkta | undefined;
  let instances: Instance[] = [];
  let holder: DPoPKey;
  let boundToken: string;
  let bearerToken: string;

  /** GET /api/orders with the DPoP-bound token and `dpop` as its proof (a fresh one by default). */
  async function withProof(instance: Instance, dpop?: string): Promise<Answer> {
    const p = dpop ?? (await proof(holder, 'GET', `${PUBLIC}/api/orders`, boundToken));
    return call(`${instance.origin}/api/orders`, { authorization: `DPoP ${boundToken}`, dpop: p, ...forwarded });
  }

  const opaque = (instance: Instance): Promise<Answer> =>
    call(`${instance.origin}/api/orders`, { authorization: 'Bearer opaque-shared', ...forwarded });
  const plainBearer = (instance: Instance): Promise<Answer> =>
    call(`${instance.origin}/api/orders`, { authorization: `Bearer ${bearerToken}`, ...forwarded });

  /** Every instance accepts a fresh DPoP proof again (its Redis client is connected). */
  async function allServeDPoP(what: string): Promise<number> {
    const times = await Promise.all(
      instances.map((i) => until(async () => (await withProof(i)).status === 200, HEAL_MS, `${i.name} ${what}`)),
    );
    return Math.max(...times);
  }

  /** A proof accepted by the first instance is refused as a replay by the others. */
  async function expectSharedReplayProtection(): Promise<void> {
    const p = await proof(holder, 'GET', `${PUBLIC}/api/orders`, boundToken);
    const [first, ...others] = instances;
    expect((await withProof(first!, p)).status).to.equal(200);
    for (const instance of others) {
      const replay = await withProof(instance, p);
      expect(replay.status, instance.name).to.equal(401);
      expect(replay.headers['www-authenticate']).to.include('error="invalid_dpop_proof"').and.include('already used');
    }
  }

  before(async function () {
    skipWithoutRedis(this);
    expectBuilt();
    redis = await startRedis();
    okta = await HostileOkta.start({ keys: [await signingKey('k1')] });
    const now = Math.floor(Date.now() / 1000);
    const issuer = okta.issuer;
    okta.behaviour = {
      introspection: (token) =>
        token === 'opaque-shared'
          ? {
              active: true,
              scope: 'orders:read',
              client_id: '0oaspa',
              sub: 'svc',
              exp: now + 600,
              iat: now,
              iss: issuer,
              aud: 'api://default',
            }
          : { active: false },
    };
    holder = await dpopKey();
    boundToken = await signToken(okta.keys[0]!, accessClaims(okta.issuer, { cnf: { jkt: holder.jkt } }));
    bearerToken = await signToken(okta.keys[0]!, accessClaims(okta.issuer));
    const env = {
      OKTA_DOMAIN: okta.origin,
      OKTA_AUTH_SERVER_ID: 'default',
      API_AUDIENCE: 'api://default',
      OKTA_CLIENT_ID: '0oaintro',
      OKTA_CLIENT_SECRET: 'intro-secret',
      REDIS_URL: redis.url,
    };
    instances = await Promise.all(['api-1', 'api-2', 'api-3'].map((name) => startRecipe('api-redis.ts', name, env)));
    await allServeDPoP('connects to Redis');
  });
  after(async () => {
    await Promise.all(instances.map(stopRecipe));
    await okta?.close();
    await redis?.stop();
  });

  it('shares replay protection: a proof accepted by one instance is refused by the others', async () => {
    await expectSharedReplayProtection();
  });

  it('introspects an opaque token once for all instances', async () => {
    for (const instance of instances) expect((await opaque(instance)).status, instance.name).to.equal(200);
    expect(okta!.introspections).to.have.length(1);
  });

  it('Redis killed: every instance stays up, a DPoP proof fails with a 503 within 2 s (a replay never passes), an opaque token is introspected, then heals by itself', async () => {
    const accepted = await proof(holder, 'GET', `${PUBLIC}/api/orders`, boundToken);
    expect((await withProof(instances[0]!, accepted)).status).to.equal(200);
    await redis!.kill();
    let slowest = 0;
    // Several rounds, so that requests meet the client both disconnected and reconnecting.
    for (let round = 0; round < 4; round++) {
      for (const instance of instances) {
        const fresh = await timed(() => withProof(instance));
        await expectBounded5xx(instance, fresh, 'a fresh DPoP proof while Redis is down');
        const replay = await timed(() => withProof(instance, accepted));
        await expectBounded5xx(instance, replay, 'a replayed DPoP proof while Redis is down');
        // The introspection cache failing is a miss: Okta answers instead.
        const introspected = await timed(() => opaque(instance));
        expect(introspected.status, `${instance.name}, an opaque token while Redis is down: ${introspected.body}`).to.equal(200);
        expect(introspected.ms).to.be.below(BOUND_MS);
        expect(fresh.status, 'the replay store failing is a 503').to.equal(503);
        // A JWT bearer token needs no Redis: it is verified locally, as ever.
        expect((await plainBearer(instance)).status, `${instance.name}, a bearer JWT while Redis is down`).to.equal(200);
        slowest = Math.max(slowest, fresh.ms, replay.ms, introspected.ms);
      }
      await new Promise((resolve) => setTimeout(resolve, 700));
      expectAlive(instances);
    }
    await redis!.restart();
    const healed = await allServeDPoP('uses Redis again after its restart');
    expectAlive(instances);
    await expectSharedReplayProtection();
    for (const instance of instances) expect((await opaque(instance)).status, instance.name).to.equal(200);
    console.log(`      Redis down: slowest 5xx ${slowest} ms; every instance healed ${healed} ms after Redis came back`);
  });
});
