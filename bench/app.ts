/**
 * One contender's app, in its own process: Express 5, express-session (memory store),
 * Passport 0.7 and one strategy, set up the way each library's documentation does.
 *
 *   node --expose-gc --import tsx bench/app.ts <contender> <stub origin>
 *
 * Routes: `GET /login` starts a sign-in; `GET /auth/callback` finishes it and answers
 * 200 `ok <user id>`; `/failed` answers 403 with Passport's failure messages. Admin
 * routes, mounted before the session so they cost nothing else: `GET /__stats` (this
 * process's `process.cpuUsage()` and `process.memoryUsage()`), `GET /__gc` (full GCs,
 * then the memory figures) and `POST /__clear-sessions`.
 *
 * Every outbound request goes to the stub: each strategy is configured with its URLs.
 */
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { AuthenticateOptions as OpenIdClientAuthenticateOptions } from 'openid-client/passport';
import passport from 'passport';
import type { FetchLike } from '../lib/client.js';
import type { OktaStrategy } from '../lib/index.js';
import type { MiddlewareSetup } from './app-middleware.js';
import {
  CALLBACK_PATH,
  CANDIDATE_LIB,
  CLIENT_ID,
  CLIENT_SECRET,
  contender,
  loadPackage,
  SHIPPED_BUILD,
  type AppStats,
  type ContenderId,
} from './config.js';
import { markThreads, threadCpu } from './threads.js';

interface BenchUser {
  id: string;
}

interface Setup {
  stub: string;
  issuer: string;
  /** Absolute callback URL of this app, for the strategies that need one. */
  callbackURL: string;
}

// Each contender's library is imported only by its own app process (dynamic imports), so that
// the time-to-ready figures of bench/latency.ts count that library alone.

async function openIdClient(setup: Setup, signatureChecks: boolean): Promise<passport.Strategy> {
  const oidc = await import('openid-client');
  const { Strategy: OpenIdClientStrategy } = await import('openid-client/passport');
  /**
   * openid-client 6's passport Strategy sends no `state` when the server supports PKCE
   * (it relies on PKCE alone); Okta refuses an authorization request without `state`.
   * This subclass adds a random one, which the stock code then stores and checks.
   */
  class StatefulOpenIdClientStrategy extends OpenIdClientStrategy {
    override authorizationRequestParams<TOptions extends OpenIdClientAuthenticateOptions>(
      req: Request,
      options: TOptions,
    ): URLSearchParams {
      const params = new URLSearchParams(super.authorizationRequestParams(req, options));
      params.set('state', oidc.randomState());
      return params;
    }
  }
  const config = await oidc.discovery(new URL(setup.issuer), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [oidc.allowInsecureRequests], // the stub is plain http on 127.0.0.1
  });
  if (signatureChecks) oidc.enableNonRepudiationChecks(config);
  return new StatefulOpenIdClientStrategy(
    { config, scope: 'openid', callbackURL: setup.callbackURL, name: 'oidc' },
    (tokens, verified) => {
      const claims = tokens.claims();
      if (!claims) return verified(new Error('no ID token claims'));
      verified(null, { id: claims.sub } satisfies BenchUser);
    },
  );
}

/**
 * passport-okta-oidc with its defaults, scope `openid` only (so the default userInfo
 * 'auto' never calls userinfo); `Strategy` is the shipped class or a candidate copy's.
 */
function okta(
  Strategy: typeof OktaStrategy,
  setup: Setup,
  authServerId: string,
  extra: { fetch?: FetchLike; scope?: string[]; userInfo?: boolean | 'auto'; prefetchKeys?: boolean } = {},
): OktaStrategy {
  return new Strategy(
    {
      oktaDomain: setup.stub,
      authServerId,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: CALLBACK_PATH,
      scope: ['openid'],
      ...extra,
    },
    async (_tokens, profile): Promise<BenchUser> => ({ id: profile.id }),
  );
}

/** The latency rows (bench/latency.ts): the README's scopes. */
const README_SCOPES = ['openid', 'profile', 'email'];

const strategies: Partial<Record<ContenderId, (setup: Setup) => Promise<passport.Strategy>>> = {
  'lat-okta': async (setup) =>
    okta((await loadPackage(SHIPPED_BUILD)).OktaStrategy, setup, 'lat-okta', { scope: README_SCOPES, userInfo: false }),
  'lat-okta-auto': async (setup) =>
    okta((await loadPackage(SHIPPED_BUILD)).OktaStrategy, setup, 'lat-okta-auto', { scope: README_SCOPES }),
  'lat-okta-lazy': async (setup) =>
    okta((await loadPackage(SHIPPED_BUILD)).OktaStrategy, setup, 'lat-okta-lazy', {
      scope: README_SCOPES,
      userInfo: false,
      prefetchKeys: false,
    }),
  okta: async (setup) => okta((await loadPackage(SHIPPED_BUILD)).OktaStrategy, setup, 'okta'),
  'okta-fetch': async (setup) =>
    okta((await loadPackage(SHIPPED_BUILD)).OktaStrategy, setup, 'okta-fetch', { fetch: (url, init) => fetch(url, init) }),
  candidate: async (setup) => {
    if (!CANDIDATE_LIB) throw new Error('BENCH_CANDIDATE_LIB is not set');
    // A build of a proposed change (copied out of dist/), or a copy of lib/ compiled by tsx.
    return okta((await loadPackage(CANDIDATE_LIB)).OktaStrategy, setup, 'candidate');
  },
  oc6: (setup) => openIdClient(setup, false),
  'oc6-sig': (setup) => openIdClient(setup, true),
  poidc: async (setup) =>
    new (await import('passport-openidconnect')).default(
      {
        issuer: setup.issuer,
        authorizationURL: `${setup.issuer}/v1/authorize`,
        tokenURL: `${setup.issuer}/v1/token`,
        userInfoURL: `${setup.issuer}/v1/userinfo`,
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        callbackURL: setup.callbackURL,
        nonce: true,
      },
      // Arity 3: passport-openidconnect then skips userinfo.
      (_issuer, profile, done) => done(null, { id: profile.id } satisfies BenchUser),
    ),
  bare: async (setup) =>
    new (await import('./baseline.js')).BareStrategy({
      issuer: setup.issuer,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectURI: setup.callbackURL,
    }),
  'bare-jose': async (setup) =>
    new (await import('./baseline.js')).BareStrategy({
      issuer: setup.issuer,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectURI: setup.callbackURL,
      verifier: 'jose',
    }),
};

/**
 * A CPU profile of a stretch of load chosen by the runner (after warm-up), taken through
 * the inspector in this process: `--cpu-prof` would cover start-up and warm-up too.
 */
const inspectorSession = new inspector.Session();
function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    inspectorSession.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
}
async function startProfile(): Promise<void> {
  try {
    inspectorSession.connect();
  } catch {
    // already connected
  }
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  // BENCH_HEAP_PROFILE=1: also where the block allocates (every allocation sampled, garbage included).
  if (process.env.BENCH_HEAP_PROFILE === '1') {
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
}
async function stopProfile(file: string): Promise<void> {
  if (!file.endsWith('.cpuprofile')) throw new Error('file must name a .cpuprofile');
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
  if (process.env.BENCH_HEAP_PROFILE === '1') {
    const heap = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap.profile));
  }
}
const fail =
  (res: Response) =>
  (err: unknown): void =>
    void res.status(500).send(String(err));

async function main(): Promise<void> {
  const [id, stub] = process.argv.slice(2);
  if (!id || !stub) throw new Error('usage: app.ts <contender> <stub origin>');
  const which = contender(id);
  await markThreads();
  const gc = (globalThis as { gc?: () => void }).gc;
  const store = new session.MemoryStore();

  const app = express();
  app.set('etag', false);
  app.get('/__stats', (_req, res) => {
    res.json({ cpu: process.cpuUsage(), threads: threadCpu(), memory: process.memoryUsage() } satisfies AppStats);
  });
  app.post('/__profile/start', (_req, res) => void startProfile().then(() => res.status(204).end(), fail(res)));
  app.post('/__profile/stop', (req, res) => {
    const file = typeof req.query.file === 'string' ? req.query.file : '';
    void stopProfile(file).then(() => res.status(204).end(), fail(res));
  });
  app.get('/__gc', (_req, res) => {
    if (!gc) return void res.status(501).send('start with --expose-gc');
    for (let i = 0; i < 4; i++) gc();
    res.json({ cpu: process.cpuUsage(), threads: threadCpu(), memory: process.memoryUsage() } satisfies AppStats);
  });
  // What the start steps left in the store: each session's JSON beyond an empty session's (its cookie).
  app.get('/__session-sizes', (_req, res) => {
    const sessions = (store as unknown as { sessions: Record<string, string> }).sessions;
    const extra = Object.values(sessions).map((json) => {
      const parsed = JSON.parse(json) as { cookie?: unknown };
      return json.length - JSON.stringify({ cookie: parsed.cookie }).length;
    });
    extra.sort((a, b) => a - b);
    res.json({ count: extra.length, median: extra[extra.length >> 1] ?? 0 });
  });
  app.post('/__clear-sessions', (_req, res) => store.clear(() => res.status(204).end()));

  const middleware: ((app: express.Express, setup: MiddlewareSetup) => Promise<void>) | undefined =
    which.id === 'okta-mw' || which.id === 'eoc' ? (await import('./app-middleware.js')).MIDDLEWARE_APPS[which.id] : undefined;
  app.use(
    session({
      secret: 'bench session secret, not a real one',
      resave: false,
      saveUninitialized: false,
      store,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  if (!middleware) {
    app.use(passport.session());
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: BenchUser, done) => done(null, user));
  }

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  const { port } = server.address() as AddressInfo;
  const setup: Setup = {
    stub,
    issuer: `${stub}/oauth2/${which.authServerId}`,
    callbackURL: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
  };
  if (middleware) {
    await middleware(app, { issuer: setup.issuer, origin: `http://127.0.0.1:${port}` });
    process.send?.({ type: 'ready', port });
    return;
  }
  const make = strategies[which.id];
  if (!make) throw new Error(`no app for contender ${which.id}`);
  const strategy = await make(setup);
  const name = strategy.name ?? which.id;
  passport.use(name, strategy);

  app.get('/login', passport.authenticate(name));
  app.get(
    CALLBACK_PATH,
    passport.authenticate(name, { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true }),
    (req, res) => {
      res.type('text/plain').send(`ok ${(req.user as BenchUser).id}`);
    },
  );
  app.get('/failed', (req, res) => {
    const messages = (req.session as unknown as { messages?: string[] }).messages ?? [];
    res
      .status(403)
      .type('text/plain')
      .send(`failed: ${messages.join('; ')}`);
  });
  app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    res.status(500).type('text/plain').send(`error: ${err.name}: ${err.message}`);
  });

  process.send?.({ type: 'ready', port });
}

process.on('disconnect', () => process.exit(0));
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
