/**
 * `npm run bench`: the cost of a sign-in through passport-okta-oidc, its peers and a bare
 * baseline, measured in one run on this machine. Writes bench/RESULTS.md (see bench/README.md).
 *
 *   npm run bench                      full run (about 8 minutes on 2 cores)
 *   BENCH_QUICK=1 npm run bench        short run for CI: a few hundred sign-ins per contender,
 *   npm run bench -- --quick           about 20 s; written to bench/out/RESULTS-quick.md
 *
 * Development options (their results go to bench/out/RESULTS-partial.md):
 *   --only=okta,bare       some contenders only
 *   --scale=0.2            every count of the full plan scaled (warm-up kept >= 2000)
 *   --rounds=20            another number of interleaved rounds
 *   --no-memory            no top-up to 50,000 sign-ins for the last memory reading
 *   --profile              after warm-up, each app profiles a block of sign-ins at c=32 (through
 *                          the inspector; bench/out/profiles/<id>.cpuprofile, with the count in
 *                          bench/out/profiles/<id>.json); summarize with bench/profile.ts
 *   BENCH_NO_BUILD=1       use dist/ as it is instead of running `npm run build` first
 *   BENCH_CANDIDATE_LIB=path/to/lib/index.ts   adds a row for a patched copy of lib/
 *   BENCH_APP_FLAGS='--trace-deopt'            extra Node.js flags for the app processes
 *   --skip-latency / --skip-api                leave out the latency part (bench/latency.ts) or the API rows
 *
 * Processes: the Okta stub (bench/stub.ts), one app per contender (bench/app.ts), and this
 * one, which is the load (bench/client.ts) and the bookkeeping. Contenders are warmed up,
 * then measured in interleaved rounds (order rotated each round, a short re-warm before
 * each contender's turn), and the median of the rounds is reported.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { runApiBench } from './api.js';
import { runLatencyBench } from './latency.js';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { admin, CookieJar, runPool, signIn, startOnly } from './client.js';
import {
  CANDIDATE_LIB,
  contenders,
  USER_SUB,
  type AppStats,
  type Contender,
  type EndpointName,
  type Plan,
  type ReadyMessage,
  type StubCounts,
} from './config.js';
import { writeResults, type ContenderResult, type RunInfo } from './report.js';
import type { ThreadCpu } from './threads.js';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'out');
const args = process.argv.slice(2);
const QUICK = process.env.BENCH_QUICK === '1' || args.includes('--quick');
/** Extra Node.js flags for the app processes, e.g. `BENCH_APP_FLAGS='--trace-deopt'` (development). */
const APP_FLAGS = (process.env.BENCH_APP_FLAGS ?? '').split(' ').filter(Boolean);
const PROFILE = args.includes('--profile');
/** `--no-memory`: skip the top-up to the memory run's sign-in count (development only). */
const NO_MEMORY = args.includes('--no-memory');
const ONLY = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
/** `--scale=0.2`: a full run's plan with every count scaled (development only). */
const SCALE = Number(args.find((a) => a.startsWith('--scale='))?.slice('--scale='.length) ?? 1);
/** `--rounds=20`: more (or fewer) interleaved rounds (development only). */
const ROUNDS = args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length);

const FULL: Plan = {
  warmSignIns: 3000,
  warmStarts: 500,
  rounds: 10,
  rewarm: 300,
  // c=1 blocks of 100 were ±20% noise on a shared machine.
  signInsC1: 400,
  signInsC32: 2500,
  starts: 500,
  memorySignIns: 50_000,
  concurrency: 32,
};
const SHORT: Plan = {
  warmSignIns: 150,
  warmStarts: 50,
  rounds: 1,
  rewarm: 20,
  signInsC1: 40,
  signInsC32: 150,
  starts: 100,
  memorySignIns: 400,
  concurrency: 32,
};

interface Proc {
  child: ChildProcess;
  port: number;
}

const children: ChildProcess[] = [];

function spawn(script: string, scriptArgs: string[], execArgv: string[]): Promise<Proc> {
  const child = fork(path.join(ROOT, 'bench', script), scriptArgs, {
    cwd: ROOT,
    execArgv: [...execArgv, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (message: ReadyMessage) => resolve({ child, port: message.port }));
    child.once('exit', (code) => reject(new Error(`${script} ${scriptArgs[0] ?? ''} exited with ${code} before it was ready`)));
  });
}

/** Disconnecting lets each child exit normally (and write its CPU profile). */
async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || !child.connected) return resolve();
          child.once('exit', () => resolve());
          child.disconnect();
          setTimeout(() => {
            child.kill();
            resolve();
          }, 10_000).unref();
        }),
    ),
  );
}

class App {
  readonly origin: string;
  readonly authorizeURL: string;
  /** One browser per worker, kept across sign-ins (a returning user), so the session store stays small. */
  readonly jars: CookieJar[];
  signInsAfterWarm = 0;
  readonly result: ContenderResult;

  constructor(
    readonly contender: Contender,
    port: number,
    stub: string,
    concurrency: number,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
    this.authorizeURL = `${stub}/oauth2/${contender.authServerId}/v1/authorize`;
    this.jars = Array.from({ length: concurrency }, () => new CookieJar());
    this.result = {
      contender,
      rounds: [],
      memory: [],
      startupRequests: undefined,
      warmupRequests: undefined,
      signInRequests: { authorize: 0, token: 0, keys: 0, userinfo: 0, discovery: 0, other: 0 },
      measuredSignIns: 0,
      startRequests: 0,
      measuredStarts: 0,
    };
  }

  stats(): Promise<AppStats> {
    return admin<AppStats>(`${this.origin}/__stats`);
  }

  gc(): Promise<AppStats> {
    return admin<AppStats>(`${this.origin}/__gc`);
  }

  signIns(n: number, concurrency: number): Promise<void> {
    return runPool(n, concurrency, (w) => signIn(this.origin, this.jars[w]!, USER_SUB));
  }

  async starts(n: number, concurrency: number): Promise<void> {
    // A new visitor each time; the sessions they leave are cleared afterwards.
    await runPool(n, concurrency, () => startOnly(this.origin, new CookieJar(), this.authorizeURL));
    const sizes = await admin<{ count: number; median: number }>(`${this.origin}/__session-sizes`);
    if (sizes.count > 0) this.result.pendingBytes = sizes.median;
    await admin(`${this.origin}/__clear-sessions`, 'POST');
  }
}

let stubOrigin = '';

async function stubCounts(): Promise<StubCounts> {
  return admin<StubCounts>(`${stubOrigin}/__counts`);
}

function diffCounts(after: StubCounts, before: StubCounts, authServerId: string): Record<EndpointName, number> {
  const a = after[authServerId];
  const b = before[authServerId];
  const out = { authorize: 0, token: 0, keys: 0, userinfo: 0, discovery: 0, other: 0 };
  for (const k of Object.keys(out) as EndpointName[]) out[k] = (a?.[k] ?? 0) - (b?.[k] ?? 0);
  return out;
}

const cpuMicros = (a: AppStats, b: AppStats): number => b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);

function threadMicros(a: AppStats, b: AppStats): ThreadCpu | undefined {
  if (!a.threads || !b.threads) return undefined;
  const d = (k: keyof ThreadCpu): number => b.threads![k] - a.threads![k];
  return { main: d('main'), pool: d('pool'), v8: d('v8'), other: d('other') };
}

interface Block {
  n: number;
  ms: number;
  cpuMicros: number;
  threads: ThreadCpu | undefined;
  requests: Record<EndpointName, number>;
}

async function measure(app: App, run: () => Promise<void>, n: number): Promise<Block> {
  const counts0 = await stubCounts();
  const s0 = await app.stats();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const s1 = await app.stats();
  const counts1 = await stubCounts();
  return {
    n,
    ms,
    cpuMicros: cpuMicros(s0, s1),
    threads: threadMicros(s0, s1),
    requests: diffCounts(counts1, counts0, app.contender.authServerId),
  };
}

function perSignIn(threads: ThreadCpu | undefined, n: number): ThreadCpu | undefined {
  if (!threads) return undefined;
  return { main: threads.main / n, pool: threads.pool / n, v8: threads.v8 / n, other: threads.other / n };
}

function addRequests(into: Record<EndpointName, number>, from: Record<EndpointName, number>): void {
  for (const k of Object.keys(into) as EndpointName[]) into[k] += from[k];
}

function log(message: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${t}s] ${message}`);
}

function memorySnapshot(app: App, label: string, stats: AppStats): void {
  app.result.memory.push({
    label,
    signIns: app.signInsAfterWarm,
    rss: stats.memory.rss,
    heapUsed: stats.memory.heapUsed,
    heapTotal: stats.memory.heapTotal,
    external: stats.memory.external,
  });
}

const started = performance.now();

async function main(): Promise<void> {
  const plan = QUICK ? SHORT : scaled(FULL, SCALE);
  if (ROUNDS !== undefined) plan.rounds = Number(ROUNDS);
  if (!(plan.rounds >= 1)) throw new Error('--rounds must be a whole number >= 1');
  const selected = ONLY ? contenders().filter((c) => ONLY.split(',').includes(c.id)) : contenders();
  if (selected.length === 0) throw new Error(`--only=${ONLY} selects no contender`);
  mkdirSync(OUT, { recursive: true });
  const loadStart = os.loadavg();
  log(`${QUICK ? 'quick' : 'full'} run: ${selected.map((c) => c.id).join(', ')}`);
  if (process.env.BENCH_NO_BUILD !== '1') {
    // The apps load the package as shipped (dist/index.mjs), not lib/ through tsx.
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    log('built dist/ (npm run build)');
  }

  const stub = await spawn('stub.ts', [], []);
  stubOrigin = `http://127.0.0.1:${stub.port}`;
  const apps = await Promise.all(
    selected.map(async (c) => {
      const proc = await spawn('app.ts', [c.id, stubOrigin], ['--expose-gc', ...APP_FLAGS]);
      return new App(c, proc.port, stubOrigin, plan.concurrency);
    }),
  );
  const atStart = await stubCounts();
  for (const app of apps) app.result.startupRequests = diffCounts(atStart, {}, app.contender.authServerId);
  log(`stub on ${stubOrigin}; apps ready`);

  // Warm-up: long enough for V8 to optimize the hot paths.
  for (const app of apps) {
    const before = await stubCounts();
    await app.signIns(plan.warmSignIns, plan.concurrency);
    await app.starts(plan.warmStarts, plan.concurrency);
    app.result.warmupRequests = diffCounts(await stubCounts(), before, app.contender.authServerId);
    memorySnapshot(app, 'after warm-up', await app.gc());
    log(`warmed ${app.contender.id}`);
  }

  if (PROFILE) {
    // One profiled block per app, after warm-up, of the same sign-ins for every app.
    const dir = path.join(OUT, 'profiles');
    mkdirSync(dir, { recursive: true });
    for (const app of apps) {
      const id = app.contender.id;
      await app.signIns(plan.rewarm, plan.concurrency);
      await admin(`${app.origin}/__profile/start`, 'POST');
      const block = await measure(app, () => app.signIns(plan.signInsC32, plan.concurrency), plan.signInsC32);
      await admin(`${app.origin}/__profile/stop?file=${encodeURIComponent(path.join(dir, `${id}.cpuprofile`))}`, 'POST');
      writeFileSync(
        path.join(dir, `${id}.json`),
        JSON.stringify({
          contender: id,
          signIns: block.n,
          concurrency: plan.concurrency,
          cpuMicros: block.cpuMicros,
          threads: block.threads,
          load: os.loadavg(),
        }),
      );
      log(`profiled ${id}: ${block.n} sign-ins, ${(block.cpuMicros / block.n).toFixed(0)} µs CPU each (profiler on)`);
    }
  }

  for (let round = 0; round < plan.rounds; round++) {
    const order = apps.map((_, i) => apps[(i + round) % apps.length]!);
    for (const app of order) {
      await app.signIns(plan.rewarm, plan.concurrency);
      const c32 = await measure(app, () => app.signIns(plan.signInsC32, plan.concurrency), plan.signInsC32);
      const c1 = await measure(app, () => app.signIns(plan.signInsC1, 1), plan.signInsC1);
      const starts = await measure(app, () => app.starts(plan.starts, plan.concurrency), plan.starts);
      app.signInsAfterWarm += plan.rewarm + plan.signInsC1 + plan.signInsC32;
      addRequests(app.result.signInRequests, c1.requests);
      addRequests(app.result.signInRequests, c32.requests);
      app.result.measuredSignIns += c1.n + c32.n;
      app.result.startRequests += Object.values(starts.requests).reduce((a, b) => a + b, 0);
      app.result.measuredStarts += starts.n;
      app.result.rounds.push({
        c1PerSec: (c1.n / c1.ms) * 1000,
        c32PerSec: (c32.n / c32.ms) * 1000,
        cpuC1: c1.cpuMicros / c1.n,
        cpuC32: c32.cpuMicros / c32.n,
        startsPerSec: (starts.n / starts.ms) * 1000,
        cpuStart: starts.cpuMicros / starts.n,
        threadsC32: perSignIn(c32.threads, c32.n),
        threadsC1: perSignIn(c1.threads, c1.n),
        load: os.loadavg()[0]!,
      });
      const r = app.result.rounds.at(-1)!;
      log(
        `round ${round + 1}/${plan.rounds} ${app.contender.id.padEnd(9)} ` +
          `c1 ${r.c1PerSec.toFixed(0)}/s  c32 ${r.c32PerSec.toFixed(0)}/s  ` +
          `cpu ${r.cpuC32.toFixed(0)} µs (c1 ${r.cpuC1.toFixed(0)})  start ${r.startsPerSec.toFixed(0)}/s ${r.cpuStart.toFixed(0)} µs` +
          (r.threadsC32
            ? `  [main ${r.threadsC32.main.toFixed(0)} pool ${r.threadsC32.pool.toFixed(0)} v8 ${r.threadsC32.v8.toFixed(0)}]`
            : '') +
          `  load ${r.load?.toFixed(2)}`,
      );
    }
  }

  // Memory: read after the rounds, top up to the planned number of sign-ins after warm-up,
  // and read again. Each reading follows a burst of that app's own sign-ins: an app that
  // waited for the others has given memory back, and its RSS would seem to grow later.
  for (const app of apps) {
    await app.signIns(plan.rewarm, plan.concurrency);
    app.signInsAfterWarm += plan.rewarm;
    memorySnapshot(app, 'after the rounds', await app.gc());
    const missing = plan.memorySignIns - app.signInsAfterWarm;
    if (missing > 0 && app.contender.memoryRun && !PROFILE && !NO_MEMORY) {
      await app.signIns(missing, plan.concurrency);
      app.signInsAfterWarm += missing;
      memorySnapshot(app, `after ${app.signInsAfterWarm} sign-ins`, await app.gc());
    }
  }
  log('measured; stopping the apps');
  const loadEnd = os.loadavg();
  await stopChildren();

  const info: RunInfo = {
    quick: QUICK,
    plan,
    date: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    cpus: os.cpus(),
    totalMem: os.totalmem(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    versions: packageVersions(),
    loadStart,
    loadEnd,
    profiled: PROFILE,
  };
  // Only a complete, default run replaces bench/RESULTS.md.
  const partial = QUICK
    ? 'quick'
    : SCALE !== 1 || ROUNDS || ONLY || PROFILE || NO_MEMORY || CANDIDATE_LIB
      ? 'partial'
      : undefined;
  const file = partial ? path.join(OUT, `RESULTS-${partial}.md`) : path.join(ROOT, 'bench', 'RESULTS.md');
  const markdown = writeResults(
    file,
    info,
    apps.map((a) => a.result),
  );
  writeFileSync(
    path.join(OUT, `results${partial ? `-${partial}` : ''}.json`),
    JSON.stringify({ info, results: apps.map((a) => a.result) }, null, 2),
  );
  console.log(`\n${markdown}`);
  // Sign-in latency (bench/latency.ts): its own delaying stub and app processes; skipped by --only and --skip-latency.
  if (!ONLY && !args.includes('--skip-latency')) {
    const latency = await runLatencyBench({ quick: QUICK, root: ROOT, log });
    appendFileSync(file, `\n${latency}\n`);
    console.log(`\n${latency}`);
  }
  // The API row (bench/api.ts): its own apps and load, after the sign-in rows; skipped by --only and --skip-api.
  if (!ONLY && !args.includes('--skip-api')) {
    const api = await runApiBench({ quick: QUICK, root: ROOT, log });
    appendFileSync(file, `\n${api}\n`);
    console.log(`\n${api}`);
  }
  log(`wrote ${path.relative(ROOT, file)}`);
}

function scaled(plan: Plan, factor: number): Plan {
  if (!(factor > 0)) throw new Error('--scale must be a positive number');
  if (factor === 1) return { ...plan };
  const n = (v: number): number => Math.max(1, Math.round(v * factor));
  return {
    ...plan,
    warmSignIns: Math.max(n(plan.warmSignIns), Math.min(plan.warmSignIns, 2000)), // V8 still needs its warm-up
    warmStarts: n(plan.warmStarts),
    rewarm: n(plan.rewarm),
    signInsC1: n(plan.signInsC1),
    signInsC32: n(plan.signInsC32),
    starts: n(plan.starts),
    memorySignIns: n(plan.memorySignIns),
  };
}

function packageVersions(): Record<string, string> {
  const version = (dir: string): string => {
    try {
      return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  const names = [
    'express',
    'express-session',
    'passport',
    'jose',
    'openid-client',
    'oauth4webapi',
    'passport-openidconnect',
    'oauth',
    'tsx',
    '@okta/jwt-verifier',
    'express-oauth2-jwt-bearer',
    '@okta/oidc-middleware',
    'express-openid-connect',
  ];
  return {
    'passport-okta-oidc': version(ROOT),
    ...Object.fromEntries(names.map((n) => [n, version(path.join(ROOT, 'node_modules', n))])),
  };
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await stopChildren();
    process.exit(1);
  },
);
process.on('SIGINT', () => {
  void stopChildren().then(() => process.exit(130));
});
