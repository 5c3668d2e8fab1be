import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type RequestListener } from 'node:http';
import { DEMO_USERS, startLocalOkta, type LocalOkta } from '../../example/local-okta/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import {
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
import { openSlot, type Slot } from '../support/server.js';

// The shared-session recipe of docs/several-instances.md (example/recipes/sessions-redis.ts,
// quoted there word for word) run as it is, two instances as child processes behind a
// balancer, against the local provider and a real redis-server that the test kills and
// restarts mid-run: both instances stay up, pages and sign-ins answer a 5xx within a bound,
// and the instances heal by themselves. The API recipe: test/integration/api-recipe-redis.test.ts.

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
