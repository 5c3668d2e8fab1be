import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { Browser, BrowserContext } from 'playwright-core';
import { createClient } from 'redis';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { launchChromium } from '../support/chromium.js';
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
import { openSlot, type Slot } from '../support/server.js';

// The recipe of docs/logout.md (example/recipes/logout-redis.ts, quoted there word for word)
// run as it is: three instances as child processes behind a balancer that takes turns per
// request, one redis-server, the local provider (on localhost, another site than the app on
// 127.0.0.1) with one client that registers the three logout URLs at the balancer's origin,
// and Chromium. The instances run with REVOCATION_CACHE_MS=0 (every request reads Redis), so
// each sign-out shows on the very next request, whichever instance it reaches; the last test
// runs two more instances with the default cache (1000 ms) and measures the delay it costs.

const CLIENT_ID = 'logout-recipe';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const UNIVERSAL = '/auth/okta/universal-logout';
const BACKCHANNEL = '/auth/okta/backchannel-logout';
const FRONTCHANNEL = '/auth/okta/frontchannel-logout';
const user = (name: string): DemoUser => DEMO_USERS.find((candidate) => candidate.username.startsWith(name))!;
const alice = user('alice');
const bob = user('bob');

/** One request through the balancer: where it went, what it carried (logout routes only) and the answer. */
interface Served {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The instance's name, or `balancer` when the balancer answered itself. */
  instance: string;
  status: number;
  headers: IncomingHttpHeaders;
  authorization?: string | undefined;
  contentType?: string | undefined;
  body?: string | undefined;
}

/**
 * A load balancer that sends each request to the next instance of its pool in turn, unless a
 * test pinned the next request of a path to one instance. It logs every request, with the
 * body of those to the logout routes (so that a test can replay what the provider sent), and
 * can turn a path away itself (503) as a failed network path would.
 */
class Balancer {
  pool: Instance[] = [];
  readonly log: Served[] = [];
  readonly refused = new Set<string>();
  private turn = 0;
  private readonly pins = new Map<string, number[]>();

  /** The next request for `path` goes to instance `index` of the pool. */
  pin(path: string, index: number): void {
    this.pins.set(path, [...(this.pins.get(path) ?? []), index]);
  }

  readonly listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://balancer');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: Served = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        instance: 'balancer',
        status: 0,
        headers: {},
      };
      if (url.pathname.startsWith('/auth/okta/') && url.pathname.endsWith('-logout')) {
        Object.assign(entry, {
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: body.toString(),
        });
      }
      this.log.push(entry);
      if (this.refused.has(url.pathname)) {
        entry.status = 503;
        res.writeHead(503).end();
        return;
      }
      const pinned = this.pins.get(url.pathname)?.shift();
      const target = this.pool[pinned ?? this.turn++ % this.pool.length]!;
      entry.instance = target.name;
      const origin = new URL(target.origin);
      const upstream = httpRequest(
        { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          entry.status = answer.statusCode ?? 502;
          entry.headers = answer.headers;
          res.writeHead(entry.status, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        entry.status = 502;
        res.writeHead(502).end();
      });
      upstream.end(body);
    });
  };

  /** The requests logged since `mark` (a length of the log) to `path`. */
  since(mark: number, path: string): Served[] {
    return this.log.slice(mark).filter((entry) => entry.path === path);
  }
}

describe('the logout recipe of docs/logout.md (example/recipes/logout-redis.ts): three instances, Redis, Chromium', function () {
  this.timeout(180_000);
  let redis: RedisServer | undefined;
  let okta: LocalOkta;
  let front: Slot | undefined;
  let browser: Browser | undefined;
  let instances: Instance[] = [];
  /** Two more instances with the default revocationCache (1000 ms), for the last test. */
  let cached: Instance[] = [];
  const balancer = new Balancer();
  const contexts: BrowserContext[] = [];

  before(async function () {
    skipWithoutRedis(this);
    expectBuilt();
    browser = await launchChromium(this);
    redis = await startRedis();
    front = await openSlot();
    okta = await startLocalOkta({
      host: 'localhost',
      clients: [
        {
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          redirectUris: [`${front.origin}/auth/okta/callback`],
          universalLogoutUri: `${front.origin}${UNIVERSAL}`,
          backchannelLogoutUri: `${front.origin}${BACKCHANNEL}`,
          frontchannelLogoutUri: `${front.origin}${FRONTCHANNEL}`,
        },
      ],
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
    const started = await Promise.all([
      ...['app-1', 'app-2', 'app-3'].map((name) => startRecipe('logout-redis.ts', name, { ...env, REVOCATION_CACHE_MS: '0' })),
      ...['cached-1', 'cached-2'].map((name) => startRecipe('logout-redis.ts', name, env)),
    ]);
    instances = started.slice(0, 3);
    cached = started.slice(3);
    balancer.pool = instances;
    front.serve(balancer.listener);
    for (const instance of started) {
      await until(async () => (await fetch(`${instance.origin}/`)).status === 200, HEAL_MS, `${instance.name} connects to Redis`);
    }
  });
  afterEach(async () => {
    balancer.refused.clear();
    balancer.pool = instances;
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([...instances, ...cached].map(stopRecipe));
    await front?.close();
    await okta?.close();
    await redis?.stop();
  });

  /** A new browser (a Chromium profile of its own) in which `who` signs in through the balancer. */
  async function signedIn(who: DemoUser): Promise<BrowserContext> {
    const context = await browser!.newContext();
    contexts.push(context);
    await context.newPage();
    await signIn(context, who);
    return context;
  }

  /** Signs `who` in through the balancer's `/login` and Okta's form, in the browser's page. */
  async function signIn(context: BrowserContext, who: DemoUser): Promise<void> {
    const page = context.pages()[0]!;
    await page.goto(`${front!.origin}/login`);
    await page.waitForURL((url) => url.origin === okta.origin && url.pathname.startsWith('/login/'));
    await page.locator('input[name="username"]').fill(who.username);
    await page.locator('input[name="password"]').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${front!.origin}/`);
    expect(await page.locator('body').innerText()).to.contain(who.sub);
  }

  /** The browser's next request to the app (`/`, on instance `index` of the pool when given): who is signed in. */
  async function who(context: BrowserContext, index?: number) {
    if (index !== undefined) balancer.pin('/', index);
    const started = performance.now();
    const answer = await context.request.get(`${front!.origin}/`, { failOnStatusCode: false, maxRedirects: 0 });
    const body = await answer.text();
    const ms = Math.round(performance.now() - started);
    const status = answer.status();
    const parsed = status === 200 ? (JSON.parse(body) as { user: { id: string } | null }) : undefined;
    return { status, body, ms, user: parsed?.user?.id ?? null };
  }

  /** Who the browser is on each instance of the pool, one request each. */
  async function everywhere(context: BrowserContext): Promise<Array<string | null>> {
    const seen: Array<string | null> = [];
    for (const index of balancer.pool.keys()) seen.push((await who(context, index)).user);
    return seen;
  }

  /** Signs the browser out at the provider (`/v1/logout`); with `client_id`, the provider tells this app by back-channel only. */
  async function signOutAtOkta(context: BrowserContext, asApp: boolean): Promise<void> {
    const page = context.pages()[0]!;
    const logout = new URL(`${okta.issuer('default')}/v1/logout`);
    if (asApp) logout.searchParams.set('client_id', CLIENT_ID);
    await page.goto(logout.href);
    // With front-channel frames, the provider's page goes on once they have loaded.
    await page.waitForURL((url) => !url.pathname.endsWith('/v1/logout'));
  }

  it('Universal Logout by email ends alice in every browser, on whichever instance each one asks next; bob stays', async () => {
    const [laptop, phone, tablet] = [await signedIn(alice), await signedIn(alice), await signedIn(alice)];
    const bobs = await signedIn(bob);
    for (const context of [laptop, phone, tablet, bobs]) {
      const id = context === bobs ? bob.sub : alice.sub;
      expect(await everywhere(context), 'signed in on every instance').to.deep.equal([id, id, id]);
    }
    const mark = balancer.log.length;
    const started = performance.now();
    const [result] = await okta.universalLogout({ user: alice.email, clientId: CLIENT_ID, format: 'email' });
    const took = Math.round(performance.now() - started);
    expect(result?.body).to.deep.equal({ subject: { format: 'email', email: alice.email } });
    expect(result?.status).to.equal(204);
    const [received] = balancer.since(mark, UNIVERSAL);
    // Each browser's next request goes to another instance: each one finds the revocation in Redis.
    const next = [await who(laptop, 0), await who(phone, 1), await who(tablet, 2)];
    expect(next.map((answer) => [answer.status, answer.user])).to.deep.equal([
      [200, null],
      [200, null],
      [200, null],
    ]);
    for (const context of [laptop, phone, tablet]) expect(await everywhere(context)).to.deep.equal([null, null, null]);
    expect(await everywhere(bobs)).to.deep.equal([bob.sub, bob.sub, bob.sub]);
    console.log(
      `      Universal Logout: recorded by ${received?.instance} in ${took} ms; the next request on each instance ended it`,
    );
  });

  it("a back-channel logout token with sid ends the session of the browser that signed out at Okta, not alice's other browser", async () => {
    const [signingOut, staying] = [await signedIn(alice), await signedIn(alice)];
    const mark = balancer.log.length;
    await signOutAtOkta(signingOut, true);
    const [delivery, ...more] = balancer.since(mark, BACKCHANNEL);
    expect(more, 'one back-channel logout').to.deep.equal([]);
    expect(delivery?.status).to.equal(200);
    expect(delivery?.headers['cache-control']).to.equal('no-store');
    expect(balancer.since(mark, FRONTCHANNEL), 'the app that signed out gets no front-channel frame').to.deep.equal([]);
    const token = new URLSearchParams(delivery!.body).get('logout_token')!;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims.sid).to.be.a('string');
    // The next request goes to another instance than the one that recorded the logout.
    const recorder = instances.findIndex((instance) => instance.name === delivery!.instance);
    expect(await who(signingOut, (recorder + 1) % 3)).to.include({ status: 200, user: null });
    expect(await everywhere(signingOut)).to.deep.equal([null, null, null]);
    expect(await everywhere(staying)).to.deep.equal([alice.sub, alice.sub, alice.sub]);
  });

  it("a front-channel frame on Okta's sign-out page ends the session it names (iss and sid), with no cookie and no back-channel", async () => {
    const [framed, staying] = [await signedIn(alice), await signedIn(alice)];
    // Okta sends no back-channel logout: here the balancer turns the provider's away, so only the frame can end the session.
    balancer.refused.add(BACKCHANNEL);
    const mark = balancer.log.length;
    await signOutAtOkta(framed, false);
    expect(balancer.since(mark, BACKCHANNEL).map((entry) => entry.instance)).to.deep.equal(['balancer']);
    const [frame, ...more] = balancer.since(mark, FRONTCHANNEL);
    expect(more).to.deep.equal([]);
    expect(frame?.method).to.equal('GET');
    expect(frame?.query.get('iss')).to.equal(okta.issuer('default'));
    expect(frame?.query.get('sid')).to.be.a('string');
    expect(frame?.status).to.equal(200);
    expect(frame?.headers['content-security-policy']).to.equal(`default-src 'none'; frame-ancestors ${okta.origin}`);
    expect(frame?.headers['cache-control']).to.equal('no-store');
    const recorder = instances.findIndex((instance) => instance.name === frame!.instance);
    expect(await who(framed, (recorder + 2) % 3)).to.include({ status: 200, user: null });
    expect(await everywhere(staying)).to.deep.equal([alice.sub, alice.sub, alice.sub]);
  });

  it('a captured logout token is refused by every other instance (jti claimed in Redis): back-channel 400, Universal Logout 401', async () => {
    const context = await signedIn(alice);
    let mark = balancer.log.length;
    await signOutAtOkta(context, true);
    const [backchannel] = balancer.since(mark, BACKCHANNEL);
    expect(backchannel?.status).to.equal(200);
    mark = balancer.log.length;
    const [universal] = await okta.universalLogout({ user: bob.email, clientId: CLIENT_ID });
    expect(universal?.status).to.equal(204);
    const [captured] = balancer.since(mark, UNIVERSAL);
    for (const instance of instances) {
      const replayed = await fetch(`${instance.origin}${BACKCHANNEL}`, {
        method: 'POST',
        headers: { 'content-type': backchannel!.contentType! },
        body: backchannel!.body,
      });
      expect(replayed.status, `${instance.name}: back-channel replay`).to.equal(400);
      expect(replayed.headers.get('cache-control')).to.equal('no-store');
      expect(await replayed.json()).to.deep.include({ error: 'invalid_request' });
      const again = await fetch(`${instance.origin}${UNIVERSAL}`, {
        method: 'POST',
        headers: { authorization: captured!.authorization!, 'content-type': captured!.contentType! },
        body: captured!.body,
      });
      expect(again.status, `${instance.name}: Universal Logout replay`).to.equal(401);
      expect(again.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    }
  });

  it('Redis refusing the revocation keys alone: checkSession answers a signed-in user 503 on every instance, then lets the session go on', async () => {
    const context = await signedIn(alice);
    const admin = createClient({ url: redis!.url });
    await admin.connect();
    try {
      // Sessions (`sess:*`) can still be read; the revocation record (`okta:*`) cannot.
      await admin.sendCommand(['ACL', 'SETUSER', 'default', 'resetkeys', '~sess:*']);
      for (const [index, instance] of instances.entries()) {
        const answer = await who(context, index);
        await expectBounded5xx(instance, answer, 'a signed-in page while the revocation store fails');
        expect(answer.status).to.equal(503);
        expect(answer.body).to.equal('The session could not be checked: try again in a moment');
        balancer.pin(UNIVERSAL, index);
        const [result] = await okta.universalLogout({ user: bob.email, clientId: CLIENT_ID });
        expect(result?.status, `${instance.name}: Universal Logout while the store fails`).to.equal(503);
      }
    } finally {
      await admin.sendCommand(['ACL', 'SETUSER', 'default', 'resetkeys', '~*']);
      await admin.close();
    }
    // The failure ended nothing: the session goes on once the store answers.
    expect(await everywhere(context)).to.deep.equal([alice.sub, alice.sub, alice.sub]);
  });

  it('Redis killed: receivers answer 503 within 2 s, signed-in pages 503, no instance exits; then a Universal Logout works again by itself', async () => {
    const context = await signedIn(alice);
    const signingOut = [await signedIn(bob), await signedIn(bob), await signedIn(bob)];
    await redis!.kill();
    let slowest = 0;
    for (const [index, instance] of instances.entries()) {
      const page = await timed(() => who(context, index));
      await expectBounded5xx(instance, page, 'a signed-in page while Redis is down');
      balancer.pin(UNIVERSAL, index);
      const universal = await timed(async () => {
        const [result] = await okta.universalLogout({ user: alice.email, clientId: CLIENT_ID });
        return { status: result?.status ?? 0, body: JSON.stringify(result) };
      });
      await expectBounded5xx(instance, universal, 'Universal Logout while Redis is down');
      expect(universal.status).to.equal(503);
      const mark = balancer.log.length;
      balancer.pin(BACKCHANNEL, index);
      await signOutAtOkta(signingOut[index]!, true);
      const [backchannel] = balancer.since(mark, BACKCHANNEL);
      expect([backchannel?.instance, backchannel?.status], 'back-channel logout while Redis is down').to.deep.equal([
        instance.name,
        503,
      ]);
      const query = new URLSearchParams({ iss: okta.issuer('default'), sid: 'any-session' });
      const frame = await timed(async () => {
        const answer = await fetch(`${instance.origin}${FRONTCHANNEL}?${query}`);
        return { status: answer.status, body: await answer.text() };
      });
      await expectBounded5xx(instance, frame, 'a front-channel frame while Redis is down');
      expect(frame.status).to.equal(503);
      slowest = Math.max(slowest, page.ms, universal.ms, frame.ms);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expectAlive(instances);

    await redis!.restart();
    const healed = await until(
      async () => (await Promise.all(instances.map((instance) => fetch(`${instance.origin}/`)))).every((a) => a.status === 200),
      HEAL_MS,
      'every instance uses Redis again',
    );
    // Redis came back empty: sign in again, and sign out from Okta again.
    const again = await signedIn(alice);
    const [result] = await okta.universalLogout({ user: alice.email, clientId: CLIENT_ID });
    expect(result?.status).to.equal(204);
    expect(await everywhere(again)).to.deep.equal([null, null, null]);
    expectAlive(instances);
    console.log(
      `      Redis down: slowest 5xx ${slowest} ms (bound ${BOUND_MS} ms); every instance used Redis again ${healed} ms after it came back`,
    );
  });

  it('with the default revocationCache (1000 ms), another instance notices a Universal Logout within that time', async () => {
    balancer.pool = cached;
    const context = await signedIn(alice);
    const samples: number[] = [];
    for (let round = 0; round < 3; round++) {
      if (round > 0) await signIn(context, alice); // the Universal Logout of the round before ended the session
      // cached-2 answers "signed in" and keeps that answer for 1000 ms; cached-1 records the logout.
      expect((await who(context, 1)).user).to.equal(alice.sub);
      const filled = performance.now();
      balancer.pin(UNIVERSAL, 0);
      const [result] = await okta.universalLogout({ user: alice.email, clientId: CLIENT_ID });
      expect(result?.status).to.equal(204);
      await until(async () => (await who(context, 1)).user === null, 3000, 'cached-2 ends the revoked session');
      samples.push(Math.round(performance.now() - filled));
    }
    for (const ms of samples) expect(ms, 'within revocationCache of the answer cached-2 kept').to.be.below(1000 + 400);
    console.log(
      `      revocationCache 1000 ms: the other instance ended the session ${samples.join(', ')} ms after it cached "signed in"`,
    );
  });
});
