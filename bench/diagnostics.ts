/**
 * What the diagnostics channels cost (docs/diagnostics.md), in one process, on the build as
 * shipped (`dist/`): the `hasSubscribers` checks alone in a loop, then per operation with no
 * subscriber and with one no-op subscriber on every channel, in interleaved rounds:
 * - an API request: `OktaBearerStrategy.authenticate` with a JWT access token, from its
 *   verified-token cache (the common case) and verified in full (`verifiedTokenCacheSize: 0`);
 * - a sign-in's own work: the start step, then the code redemption (token request to a
 *   keep-alive server in a child process, ID token verified with the cached key).
 * CPU time of this process per operation (the child's is not counted).
 *
 * With `--before=<build>/index.mjs` (or a copy of lib/, `.../index.ts`), the same API
 * requests and start steps through that build too, with no subscriber: before vs after.
 *
 *   npm run build && npx tsx bench/diagnostics.ts [--quick] [--before=bench/out/before/index.mjs]
 */
import { fork } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadPackage } from './config.js';
import type * as Root from '../lib/index.js';
import type * as Bearer from '../lib/bearer.js';
import type * as Client from '../lib/client.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const ROUNDS = quick ? 4 : 12;
const NONCE = 'diagnostics-bench-nonce';

function serve(): void {
  let answers: { keys: string; token: string } | undefined;
  process.on('message', (m: { keys: string; token: string }) => (answers = m));
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url?.endsWith('/v1/keys') ? answers?.keys : answers?.token);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;

async function cpu(n: number, run: (i: number) => Promise<void> | void): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await run(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/** A no-op subscriber on every event of every channel; returns the unsubscribe. */
function subscribeAll(names: readonly string[]): () => void {
  const noop = (): void => undefined;
  const all = names.flatMap((name) => [
    name,
    ...['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((e) => `tracing:${name}:${e}`),
  ]);
  for (const name of all) subscribe(name, noop);
  return () => {
    for (const name of all) unsubscribe(name, noop);
  };
}

async function main(): Promise<void> {
  const dist = join(__dirname, '..', 'dist');
  const root = (await import(pathToFileURL(join(dist, 'index.mjs')).href)) as typeof Root;
  const bearer = (await import(pathToFileURL(join(dist, 'bearer.mjs')).href)) as typeof Bearer;
  const client = (await import(pathToFileURL(join(dist, 'client.mjs')).href)) as typeof Client;
  const names = Object.values(root.diagnosticsChannels);

  // 1. The checks alone: what a publish site costs with no subscriber.
  const { tracingChannel, channel } = await import('node:diagnostics_channel');
  const checked = [tracingChannel(root.diagnosticsChannels.callback), channel(root.diagnosticsChannels.signInStart)] as const;
  const loops = 20_000_000;
  let hits = 0;
  const withChecks: number[] = [];
  const withoutChecks: number[] = [];
  for (let repeat = 0; repeat < 7; repeat++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < loops; i++) if (checked[i & 1]!.hasSubscribers) hits++;
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < loops; i++) if ((i & 1) === 2) hits++;
    const t2 = process.hrtime.bigint();
    withChecks.push(Number(t1 - t0) / loops);
    withoutChecks.push(Number(t2 - t1) / loops);
  }
  const perCheck = median(withChecks) - median(withoutChecks);

  // The Okta stand-in and its tokens.
  const server = fork(__filename, ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => server.once('message', (p: number) => resolve(p)));
  const origin = `http://127.0.0.1:${port}`;
  const issuer = `${origin}/oauth2/x`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const sign = (claims: Record<string, unknown>, audience: string): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
  const idToken = await sign({ sub: '00u1', nonce: NONCE }, '0oaclient');
  const accessToken = await sign({ sub: '00u1', cid: '0oaclient', scp: ['orders:read'], jti: 'AT.1' }, 'api://x');
  const token = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'openid', id_token: idToken };
  server.send({ keys: JSON.stringify({ keys: [jwk] }), token: JSON.stringify(token) });

  type Checking = Bearer.OktaBearerStrategy & { success(): void; fail(): void; error(err: Error): void };
  const apiCheck = (strategy: Bearer.OktaBearerStrategy) => () =>
    new Promise<void>((resolve, reject) => {
      const derived = Object.create(strategy) as Checking;
      derived.success = () => resolve();
      derived.fail = () => reject(new Error('refused'));
      derived.error = reject;
      derived.authenticate({ method: 'GET', url: '/api', headers: { authorization: `Bearer ${accessToken}` } } as never);
    });
  const options = { oktaDomain: origin, authServerId: 'x', audience: 'api://x' };
  const cached = apiCheck(new bearer.OktaBearerStrategy(options));
  const full = apiCheck(new bearer.OktaBearerStrategy({ ...options, verifiedTokenCacheSize: 0 }));
  const beforeFile = process.argv.find((arg) => arg.startsWith('--before='))?.slice('--before='.length);
  const before = beforeFile === undefined ? undefined : await loadPackage(beforeFile);

  const oktaClient = new client.OktaClient(origin, '0oaclient', 'a-client-secret', `${origin}/cb`, { authServerId: 'x' });
  type StartStrategy = Root.OktaStrategy & { redirect(url: string): void; error(err: Error): void };
  const signInOptions = {
    oktaDomain: origin,
    authServerId: 'x',
    clientID: '0oaclient',
    clientSecret: 'a-client-secret',
    callbackURL: `${origin}/cb`,
  };
  const startStepOf = (strategy: StartStrategy) => () =>
    new Promise<void>((resolve, reject) => {
      const derived = Object.create(strategy) as typeof strategy;
      derived.redirect = () => resolve();
      derived.error = reject;
      derived.authenticate(
        { method: 'GET', url: '/login', headers: { host: 'app.example' }, query: {}, session: {} } as never,
        {},
      );
    });
  const startStep = startStepOf(new root.OktaStrategy(signInOptions, async () => ({})) as StartStrategy);
  const redemption = async () => {
    await oktaClient.redeemAuthorizationCode('code', 'verifier-0123456789-0123456789-0123456789', { nonce: NONCE });
  };

  const ops: Record<string, { run: () => Promise<void>; n: number; noSubscriberOnly?: boolean }> = {
    'API request, verified-token cache hit': { run: cached, n: quick ? 5_000 : 20_000 },
    'API request, full JWT verification': { run: full, n: quick ? 2_000 : 8_000 },
    'sign-in start step': { run: startStep, n: quick ? 5_000 : 20_000 },
    'code redemption (token request + ID token check)': { run: redemption, n: quick ? 500 : 2_000 },
  };
  if (before !== undefined) {
    const beforeCached = apiCheck(new before.OktaBearerStrategy(options) as Bearer.OktaBearerStrategy);
    const beforeStart = startStepOf(new before.OktaStrategy(signInOptions, async () => ({})) as StartStrategy);
    ops['API request, verified-token cache hit: build before'] = {
      run: beforeCached,
      n: quick ? 5_000 : 20_000,
      noSubscriberOnly: true,
    };
    ops['sign-in start step: build before'] = { run: beforeStart, n: quick ? 5_000 : 20_000, noSubscriberOnly: true };
  }
  // Warm-up, both ways.
  for (const { run, n } of Object.values(ops)) {
    await cpu(n, run);
    const stop = subscribeAll(names);
    await cpu(n, run);
    stop();
  }
  const results = Object.fromEntries(Object.keys(ops).map((name) => [name, { none: [] as number[], one: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { run, n, noSubscriberOnly }] of Object.entries(ops)) {
      const order = noSubscriberOnly
        ? (['none'] as const)
        : round % 2 === 0
          ? (['none', 'one'] as const)
          : (['one', 'none'] as const);
      for (const mode of order) {
        const stop = mode === 'one' ? subscribeAll(names) : () => undefined;
        results[name]![mode].push(await cpu(n, run));
        stop();
      }
    }
  }
  server.disconnect();

  console.log(
    `hasSubscribers check, no subscriber: ${median(withChecks).toFixed(2)} ns per loop turn with a check, ` +
      `${median(withoutChecks).toFixed(2)} ns without: ${perCheck.toFixed(2)} ns per check (${hits} hits)`,
  );
  console.log(`\n| operation | no subscriber (µs CPU) | a no-op subscriber on every channel (µs CPU) | difference |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, { none, one }] of Object.entries(results)) {
    const a = median(none);
    const b = median(one);
    if (one.length === 0) {
      console.log(`| ${name} | ${a.toFixed(1)} | | |`);
      continue;
    }
    console.log(
      `| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b - a).toFixed(1)} µs (${(((b - a) / a) * 100).toFixed(0)}%) |`,
    );
  }
  console.log(
    `\nMedians of ${ROUNDS} interleaved rounds; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  );
}

if (process.argv.includes('--serve')) serve();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
