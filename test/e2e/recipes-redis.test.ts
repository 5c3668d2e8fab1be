import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request as httpRequest, type RequestListener } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEMO_USERS, startLocalOkta, type LocalOkta } from '../../example/local-okta/index.js';
import {
  accessClaims,
  call,
  dpopKey,
  proof,
  signingKey,
  signToken,
  startFakeOkta,
  type Answer,
  type DPoPKey,
  type FakeOktaServer,
} from '../support/bearer.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { hasRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';
import { openSlot, type Slot } from '../support/server.js';

// The Redis recipes of the docs (example/recipes/*.ts, quoted word for word in
// docs/api-protection.md and docs/several-instances.md) run as they are, several instances
// each as child processes, against a real redis-server that the test kills and restarts
// mid-run: every instance stays up, what needs Redis answers a 5xx within a bound
// (never a success for a replayed DPoP proof), and the instances heal by themselves.

const root = join(__dirname, '..', '..');
const tsx = require.resolve('tsx/cli');
/** Longest a request that needs a missing Redis may take to fail. */
const BOUND_MS = 2000;
/** Longest the instances may take to use Redis again once it is back. */
const HEAL_MS = 10_000;

interface Instance {
  name: string;
  origin: string;
  child: ChildProcess;
  output(): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a recipe with tsx, as `npx tsx example/recipes/<file>` would, and resolves once it listens. */
async function startRecipe(file: string, name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  delete childEnv.NODE_V8_COVERAGE;
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [tsx, join(root, 'example', 'recipes', file)], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000);
    const check = (): void => {
      if (output.includes(`listening on port ${port}`)) {
        clearTimeout(timer);
        child.off('exit', exited);
        resolve();
      }
    };
    const exited = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    };
    child.stdout!.on('data', check);
    child.once('exit', exited);
  });
  return { name, origin: `http://127.0.0.1:${port}`, child, output: () => output };
}

async function stopRecipe(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}

function expectAlive(instances: Instance[]): void {
  for (const instance of instances) {
    const { exitCode, signalCode } = instance.child;
    expect({ exitCode, signalCode }, `${instance.name} is still running:\n${instance.output().slice(-2000)}`).to.deep.equal({
      exitCode: null,
      signalCode: null,
    });
  }
}

/** The answer, and how long it took; no answer within 10 s, or a broken connection, counts as status 0. */
async function timed(
  request: () => Promise<{ status: number; body: string }>,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const hang = new Promise<{ status: number; body: string }>((resolve) =>
    setTimeout(() => resolve({ status: 0, body: 'no answer within 10 s' }), 10_000).unref(),
  );
  const failed = (err: Error) => ({ status: 0, body: `no answer: ${err.message}` });
  const answer = await Promise.race([request().catch(failed), hang]);
  return { status: answer.status, body: answer.body, ms: Math.round(performance.now() - started) };
}

/** A 5xx within BOUND_MS from a running instance. */
async function expectBounded5xx(
  instance: Instance,
  answer: { status: number; body: string; ms: number },
  what: string,
): Promise<void> {
  if (answer.status === 0) await new Promise((resolve) => setTimeout(resolve, 500)); // did it die?
  expectAlive([instance]);
  expect(answer.status, `${instance.name}, ${what}: ${answer.body.slice(0, 300)}`).to.be.within(500, 599);
  expect(answer.ms, `${instance.name}, ${what}: answered within ${BOUND_MS} ms`).to.be.below(BOUND_MS);
}

/** Calls `attempt` until it resolves true, for at most `ms`; returns how long that took. */
async function until(attempt: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < ms) {
    try {
      if (await attempt()) return Math.round(performance.now() - started);
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

function skipWithoutRedis(context: Mocha.Context): void {
  if (hasRedisServer()) return;
  if (process.env.CI) throw new Error("redis-server is missing: CI must install Debian's redis-server (see .ci/run)");
  console.warn('      skipped: redis-server not found (apt-get install redis-server to run this test)');
  context.skip();
}

function expectBuilt(): void {
  expect(
    existsSync(join(root, 'dist', 'index.cjs')),
    'dist/ is built: the recipes import passport-okta-oidc (npm run build)',
  ).to.equal(true);
}

describe('the Redis recipe of docs/api-protection.md (example/recipes/api-redis.ts), three instances', function () {
  this.timeout(120_000);
  const PUBLIC = 'https://api.example.com';
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };
  let redis: RedisServer | undefined;
  let okta: FakeOktaServer | undefined;
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
    okta = await startFakeOkta([await signingKey('k1')]);
    const now = Math.floor(Date.now() / 1000);
    const issuer = okta.issuer;
    okta.introspect = (token) =>
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
        : { active: false };
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

/** A load balancer in front of the instances; `route` picks the instance for each request path. */
function balancer(route: (path: string) => Instance, served: Array<[string, string]>): RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://balancer').pathname;
    const target = new URL(route(path).origin);
    served.push([path, route(path).name]);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(upstream);
  };
}

describe('the shared-session recipe of docs/several-instances.md (example/recipes/sessions-redis.ts), two instances', function () {
  this.timeout(120_000);
  const CLIENT_ID = 'sessions-recipe';
  const CLIENT_SECRET = randomBytes(24).toString('base64url');
  let redis: RedisServer | undefined;
  let okta: LocalOkta | undefined;
  let front: Slot | undefined;
  let instances: Instance[] = [];
  /** Which instance answers each path; by default the first. */
  const routes = new Map<string, number>();
  const served: Array<[string, string]> = [];
  const alice = DEMO_USERS[0]!;

  /** Signs in through the balancer with /login on instance `start` and the callback on `finish`. */
  async function signInAcross(
    browser: ScriptedBrowser,
    start: number,
    finish: number,
  ): Promise<{ status: number; body: string }> {
    routes.set('/login', start);
    routes.set('/auth/okta/callback', finish);
    served.length = 0;
    const page = await signIn(browser, `${front!.origin}/login`, alice);
    const where = Object.fromEntries(served);
    expect(where['/login']).to.equal(instances[start]!.name);
    expect(where['/auth/okta/callback']).to.equal(instances[finish]!.name);
    return page;
  }

  /** `/` on instance `index`, with the browser's cookies. */
  async function home(browser: ScriptedBrowser, index: number): Promise<{ status: number; body: string }> {
    routes.set('/', index);
    return browser.request(`${front!.origin}/`, { method: 'GET' });
  }

  before(async function () {
    skipWithoutRedis(this);
    expectBuilt();
    redis = await startRedis();
    front = await openSlot();
    okta = await startLocalOkta({
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${front.origin}/auth/okta/callback`] }],
    });
    const env = {
      OKTA_DOMAIN: okta.origin,
      OKTA_AUTH_SERVER_ID: 'default',
      OKTA_CLIENT_ID: CLIENT_ID,
      OKTA_CLIENT_SECRET: CLIENT_SECRET,
      BASE_URL: front.origin,
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      REDIS_URL: redis.url,
    };
    instances = await Promise.all(['app-1', 'app-2'].map((name) => startRecipe('sessions-redis.ts', name, env)));
    front.serve(balancer((path) => instances[routes.get(path) ?? 0]!, served));
    for (const [index, instance] of instances.entries()) {
      await until(
        async () => (await home(new ScriptedBrowser(), index)).status === 200,
        HEAL_MS,
        `${instance.name} connects to Redis`,
      );
    }
  });
  after(async () => {
    await Promise.all(instances.map(stopRecipe));
    await front?.close();
    await okta?.close();
    await redis?.stop();
  });

  it('a sign-in started on one instance finishes on the other, and both know the user', async () => {
    const browser = new ScriptedBrowser();
    const page = await signInAcross(browser, 0, 1);
    expect(page.status, page.body).to.equal(200);
    expect(JSON.parse(page.body)).to.deep.equal({ user: { id: alice.sub, name: `${alice.givenName} ${alice.familyName}` } });
    for (const index of [0, 1]) {
      expect(JSON.parse((await home(browser, index)).body).user.id).to.equal(alice.sub);
    }
  });

  it('Redis killed: both instances stay up, pages and sign-ins fail with a 5xx within 2 s, then heal by themselves', async () => {
    const browser = new ScriptedBrowser();
    expect((await signInAcross(browser, 1, 0)).status).to.equal(200);
    await redis!.kill();
    let slowest = 0;
    for (let round = 0; round < 4; round++) {
      for (const [index, instance] of instances.entries()) {
        const page = await timed(() => home(browser, index));
        await expectBounded5xx(instance, page, 'a signed-in page while Redis is down');
        routes.set('/login', index);
        const login = await timed(() => new ScriptedBrowser().request(`${front!.origin}/login`, { method: 'GET' }));
        await expectBounded5xx(instance, login, 'the start of a sign-in while Redis is down');
        slowest = Math.max(slowest, page.ms, login.ms);
      }
      await new Promise((resolve) => setTimeout(resolve, 700));
      expectAlive(instances);
    }
    await redis!.restart();
    const healed = await until(
      async () => {
        const page = await signInAcross(new ScriptedBrowser(), 0, 1);
        return page.status === 200 && JSON.parse(page.body).user?.id === alice.sub;
      },
      HEAL_MS,
      'a sign-in across the instances works again after the restart of Redis',
    );
    expect((await signInAcross(new ScriptedBrowser(), 1, 0)).status).to.equal(200);
    expectAlive(instances);
    console.log(
      `      Redis down: slowest 5xx ${slowest} ms; sign-in across instances worked again ${healed} ms after Redis came back`,
    );
  });
});
