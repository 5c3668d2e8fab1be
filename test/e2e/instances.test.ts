import { expect } from 'chai';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { request as httpRequest, type RequestListener } from 'node:http';
import { Passport } from 'passport';
import { createClient } from 'redis';
import { DEMO_USERS, startLocalOkta, type LocalOkta } from '../../example/local-okta/index.js';
import { CookieStateStore, OktaStrategy, type StateStore } from '../../lib/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { hasRedisServer, startRedis, type RedisServer } from '../support/redis-server.js';
import { listen, openSlot, type Listening, type Slot } from '../support/server.js';

// Several instances of one app behind a balancer without sticky sessions: requests go to
// the instances in turn, and a sign-in's callback never lands on the instance that
// started it.

const INSTANCES = 3;
const SIGN_INS = 500;
const CONCURRENCY = 16;
const CLIENT_ID = 'multi-instance-app';
const CLIENT_SECRET = 'multi-instance-secret-0123456789';
const STATE_SECRET = 'shared-state-cookie-secret-0123456789abcdef';

type SessionSetup = { kind: 'cookie' } | { kind: 'redis'; store: session.Store } | { kind: 'memory' };

/** One instance: its own Passport, strategy and session store; only what `setup` gives is shared. */
function instance(okta: LocalOkta, origin: string, id: number, setup: SessionSetup): RequestListener {
  const passport = new Passport();
  const store: StateStore | undefined = setup.kind === 'cookie' ? new CookieStateStore({ secret: STATE_SECRET }) : undefined;
  passport.use(
    new OktaStrategy(
      {
        oktaDomain: okta.origin,
        authServerId: 'default',
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        callbackURL: `${origin}/auth/okta/callback`,
        scope: ['openid', 'profile'],
        userInfo: false,
        store,
      },
      async (_tokens, profile) => ({ id: profile.id, name: profile.displayName }),
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('X-Instance', String(id));
    next();
  });
  app.use(passport.initialize());
  const usesSession = setup.kind !== 'cookie';
  if (usesSession) {
    app.use(
      session({
        secret: 'shared-session-secret',
        resave: false,
        saveUninitialized: false,
        ...(setup.kind === 'redis' ? { store: setup.store } : {}),
      }),
    );
  }
  app.get('/login', passport.authenticate('okta', { session: usesSession }));
  app.get(
    '/auth/okta/callback',
    passport.authenticate('okta', {
      session: usesSession,
      failureRedirect: '/failed',
      failureMessage: usesSession,
      keepSessionInfo: true,
    }),
    (req, res) => res.json({ signedIn: req.user, by: id }),
  );
  app.get('/failed', (req, res) => {
    const messages = (req.session as { messages?: string[] } | undefined)?.messages ?? [];
    res.status(401).json({ failed: true, messages, by: id });
  });
  return app as unknown as RequestListener;
}

/**
 * The opposite of sticky sessions: requests go to the instances in turn, and a callback
 * always goes to a different instance than the one that started its sign-in (found by
 * the `state` in the redirect to Okta).
 */
function antiSticky(targets: Listening[]): RequestListener {
  let next = 0;
  const startedOn = new Map<string, number>();
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://balancer');
    const state = url.pathname === '/auth/okta/callback' ? url.searchParams.get('state') : null;
    const starter = state === null ? undefined : startedOn.get(state);
    const index = starter === undefined ? next++ % targets.length : (starter + 1) % targets.length;
    if (state !== null) startedOn.delete(state);
    const target = new URL(targets[index]!.origin);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const location = answer.headers.location;
        const sentState = location && url.pathname === '/login' ? new URL(location).searchParams.get('state') : null;
        if (sentState) startedOn.set(sentState, index);
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

interface Cluster {
  origin: string;
  close(): Promise<void>;
}

async function startCluster(okta: LocalOkta, front: Slot, setup: SessionSetup): Promise<Cluster> {
  const backends: Listening[] = [];
  for (let id = 0; id < INSTANCES; id++) backends.push(await listen(instance(okta, front.origin, id, setup)));
  front.serve(antiSticky(backends));
  return {
    origin: front.origin,
    close: async () => {
      for (const backend of backends) await backend.close();
    },
  };
}

/** Runs `count` sign-ins, `CONCURRENCY` at a time, each in its own browser; returns what each ended on. */
async function signIns(cluster: Cluster, count: number): Promise<Array<{ ok: boolean; by: number | undefined; body: string }>> {
  const results: Array<{ ok: boolean; by: number | undefined; body: string }> = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      const n = started++;
      const user = DEMO_USERS[n % DEMO_USERS.length]!;
      const browser = new ScriptedBrowser();
      const page = await signIn(browser, `${cluster.origin}/login`, user);
      const body = JSON.parse(page.body) as { signedIn?: { id: string }; by?: number };
      results.push({
        ok: page.status === 200 && body.signedIn?.id === user.sub,
        by: body.by,
        body: page.body,
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

describe('several app instances behind a balancer without sticky sessions', function () {
  this.timeout(180_000);
  let okta: LocalOkta;
  let front: Slot;

  before(async () => {
    front = await openSlot();
    okta = await startLocalOkta({
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${front.origin}/auth/okta/callback`] }],
    });
  });
  after(async () => {
    await front?.close();
    await okta?.close();
  });

  it(`CookieStateStore, nothing shared but the secret: ${SIGN_INS} sign-ins, zero failures`, async () => {
    const cluster = await startCluster(okta, front, { kind: 'cookie' });
    try {
      const results = await signIns(cluster, SIGN_INS);
      const failures = results.filter((r) => !r.ok);
      console.log(
        `      cookie store: ${results.length - failures.length}/${results.length} signed in over ${INSTANCES} instances`,
      );
      expect(failures.map((f) => f.body).slice(0, 3)).to.deep.equal([]);
      expect(results).to.have.length(SIGN_INS);
      expect(new Set(results.map((r) => r.by)).size, 'callbacks handled by every instance').to.equal(INSTANCES);
    } finally {
      await cluster.close();
    }
  });

  describe('express-session on a real Redis (connect-redis)', () => {
    let redis: RedisServer | undefined;
    let client: ReturnType<typeof createClient> | undefined;

    before(async function () {
      if (!hasRedisServer()) {
        if (process.env.CI) throw new Error("redis-server is missing: CI must install Debian's redis-server (see .ci/run)");
        console.warn('      skipped: redis-server not found (apt-get install redis-server to run this test)');
        this.skip();
      }
      redis = await startRedis();
      client = createClient({ url: redis.url });
      await client.connect();
    });
    after(async () => {
      await client?.quit();
      await redis?.stop();
    });

    it(`the default session store on Redis: ${SIGN_INS} sign-ins, zero failures`, async () => {
      const cluster = await startCluster(okta, front, {
        kind: 'redis',
        store: new RedisStore({ client: client!, prefix: 'okta-test:' }),
      });
      try {
        const results = await signIns(cluster, SIGN_INS);
        const failures = results.filter((r) => !r.ok);
        console.log(
          `      redis sessions: ${results.length - failures.length}/${results.length} signed in over ${INSTANCES} instances`,
        );
        expect(failures.map((f) => f.body).slice(0, 3)).to.deep.equal([]);
      } finally {
        await cluster.close();
      }
    });
  });

  it('the in-memory session store without sticky routing fails every sign-in with the documented message, not a crash', async () => {
    const cluster = await startCluster(okta, front, { kind: 'memory' });
    try {
      const results = await signIns(cluster, 30);
      const messages = new Set<string>();
      for (const result of results) {
        expect(result.ok).to.equal(false);
        const body = JSON.parse(result.body) as { failed?: boolean; messages?: string[] };
        // The failure route, never an error page. Its messages live in a session of the
        // instance that failed, which the next request may or may not reach.
        expect(body.failed, result.body).to.equal(true);
        for (const message of body.messages ?? []) messages.add(message);
      }
      expect([...messages]).to.have.length.greaterThan(0);
      for (const message of messages) expect(message).to.match(/sign-in state is unknown/);
      console.log(`      memory sessions: 0/${results.length} signed in; the failure says: "${[...messages][0]}"`);
    } finally {
      await cluster.close();
    }
  });
});
