/**
 * Load test of OktaStrategy in an app: Express 5 + express-session (memory store) +
 * Passport 0.7, exactly as the README sets it up, against the hostile provider in honest
 * mode over real HTTP on 127.0.0.1.
 *
 *   npx tsx test/load/load.ts                                   # 1,000 at once, 20,000 in all
 *   LOAD_TOTAL=5000 LOAD_CONCURRENT=500 LOAD_WARMUP=1000 LOAD_HEAP_SLACK_MB=8 npx tsx test/load/load.ts
 *
 * This process is the app and nothing else; the provider and the browsers run in a child
 * process (driver.ts), so the heap figures are the app's. Checks, with exit code 1 if one
 * fails: no failed sign-in; no cross-talk (each browser is signed in as its own Okta
 * user); no pending sign-in left in any session; no key set fetch after the first; every
 * code issued was redeemed once; heap back near its start once the sessions are gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTestApp, pendingLoginsIn, type TestApp } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import type { DriverCommand, DriverMessage, WaveReport } from './driver.js';

const TOTAL = Number(process.env.LOAD_TOTAL ?? 20_000);
const CONCURRENT = Number(process.env.LOAD_CONCURRENT ?? 1_000);
const WARMUP = Number(process.env.LOAD_WARMUP ?? 2_000);
/** Sign-ins per wave after the burst; each wave's sessions then expire (are cleared). */
const WAVE = Math.max(CONCURRENT, 5_000);
/** The heap may end this much above its start (V8's caches, compiled code, pools). */
const HEAP_SLACK_BYTES = Number(process.env.LOAD_HEAP_SLACK_MB ?? 8) * 1024 * 1024;

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

const MB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

class Driver {
  private readonly child: ChildProcess;
  private waiting: ((message: DriverMessage) => void) | undefined;

  constructor() {
    this.child = fork(join(__dirname, 'driver.ts'), [], { stdio: 'inherit' });
    this.child.on('message', (message: DriverMessage) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(message);
    });
    this.child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`driver exited with ${code}`);
    });
  }

  /** Sends a command and waits for the answer (one at a time). */
  ask<T extends DriverMessage['type']>(command: DriverCommand | null, type: T): Promise<Extract<DriverMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting = (message) =>
        message.type === type
          ? resolve(message as Extract<DriverMessage, { type: T }>)
          : reject(new Error(`driver answered ${message.type}, expected ${type}`));
      if (command) this.child.send(command);
    });
  }

  async wave(appOrigin: string, prefix: string, count: number, concurrency: number): Promise<WaveReport> {
    return (await this.ask({ cmd: 'wave', appOrigin, prefix, count, concurrency }, 'wave')).report;
  }

  exit(): void {
    this.child.send({ cmd: 'exit' } satisfies DriverCommand);
  }
}

async function listen(testApp: TestApp): Promise<{ origin: string; server: Server }> {
  const server = createServer(testApp.app);
  // Idle connections outlive the slowest sign-in, so that a reused one is never closed under a request.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function clearSessions(testApp: TestApp): Promise<void> {
  return new Promise((resolve, reject) => testApp.sessions.clear((err) => (err ? reject(err as Error) : resolve())));
}

async function main(): Promise<number> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string): void => {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };

  const driver = new Driver();
  const { oktaOrigin } = await driver.ask(null, 'ready');
  const strategy = makeStrategy(
    { origin: oktaOrigin, authServerId: 'default' },
    { scope: ['openid'], userInfo: false, timeout: 30_000 },
    async (_tokens, profile) => ({ id: profile.id }),
  );
  const testApp = createTestApp(strategy);
  const { origin, server } = await listen(testApp);
  console.log(`load: ${CONCURRENT} sign-ins at once, ${TOTAL} in all (after ${WARMUP} to warm up)`);
  console.log(`  app ${origin} (this process, pid ${process.pid}); provider ${oktaOrigin} and browsers in a child process`);

  // Warm up V8, the key cache and the connection pools (at full concurrency, so that the
  // pools' sockets are in the baseline, not counted as growth); then forget the sign-ins.
  const warm = await driver.wave(origin, 'warm', WARMUP, CONCURRENT);
  if (warm.failed > 0) throw new Error(`warm-up failed: ${warm.reasons.join('; ')}`);
  await clearSessions(testApp);
  await driver.ask({ cmd: 'forget' }, 'done');
  const before = await driver.ask({ cmd: 'stats' }, 'stats');
  gc();
  gc();
  const start = process.memoryUsage();
  const cpuStart = process.cpuUsage();

  const reports: WaveReport[] = [];
  let pendingLeft = 0;
  let peakSessions = 0;
  const runWave = async (label: string, prefix: string, count: number): Promise<WaveReport> => {
    const report = await driver.wave(origin, prefix, count, CONCURRENT);
    reports.push(report);
    const { sessions, pending } = pendingLoginsIn(testApp.sessions);
    pendingLeft += pending;
    peakSessions = Math.max(peakSessions, sessions);
    console.log(
      `  ${label}: ${report.ok} signed in, ${report.failed} failed, in ${report.seconds.toFixed(2)} s ` +
        `(${(count / report.seconds).toFixed(0)}/s); sign-in p50 ${report.p50} ms, p95 ${report.p95} ms, max ${report.max} ms; ` +
        `${sessions} sessions, ${pending} pending sign-ins left in them`,
    );
    for (const reason of report.reasons) console.log(`       ${reason}`);
    await clearSessions(testApp); // the wave's sessions expire
    return report;
  };

  const burst = Math.min(CONCURRENT, TOTAL);
  await runWave(`${burst} at once`, 'burst', burst);
  let done = burst;
  for (let n = 0; done < TOTAL; n++) {
    const size = Math.min(WAVE, TOTAL - done);
    await runWave(`wave of ${size}`, `w${n}-`, size);
    done += size;
  }

  const cpu = process.cpuUsage(cpuStart);
  const after = await driver.ask({ cmd: 'stats' }, 'stats');
  await driver.ask({ cmd: 'forget' }, 'done');
  const beforeGc = process.memoryUsage();
  gc();
  gc();
  let end = process.memoryUsage();
  // On a busy machine, closing sockets and timers of the last wave may still hold memory
  // for a moment: let them settle (up to 5 s) before reading the heap for the verdict.
  for (let tries = 0; tries < 10 && end.heapUsed > start.heapUsed + HEAP_SLACK_BYTES; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    gc();
    gc();
    end = process.memoryUsage();
  }
  const keyStore = (strategy.client as unknown as { keys: { inFlight?: unknown; keySet?: unknown } }).keys;
  const total = reports.reduce((sum, r) => sum + r.ok + r.failed, 0);
  const failed = reports.reduce((sum, r) => sum + r.failed, 0);
  const crossTalk = reports.reduce((sum, r) => sum + r.crossTalk, 0);
  const codes = after.hits.authorize! - before.hits.authorize!;
  const redeemed = after.hits.token! - before.hits.token!;

  console.log(
    `  app process CPU: ${((cpu.user + cpu.system) / 1000 / total).toFixed(2)} ms per sign-in (user ${(cpu.user / 1e6).toFixed(1)} s, ` +
      `system ${(cpu.system / 1e6).toFixed(1)} s); peak sessions held: ${peakSessions}`,
  );
  console.log(
    `  heap used: ${MB(start.heapUsed)} at start, ${MB(beforeGc.heapUsed)} at the end before gc, ${MB(end.heapUsed)} after gc ` +
      `(${end.heapUsed >= start.heapUsed ? '+' : ''}${MB(end.heapUsed - start.heapUsed)}); rss ${MB(start.rss)} -> ${MB(end.rss)}; ` +
      `external ${MB(start.external)} -> ${MB(end.external)}`,
  );
  check(total === TOTAL, `${total} sign-ins run`);
  check(failed === 0, `${failed} failed sign-ins`);
  check(crossTalk === 0, `${crossTalk} browsers signed in as someone else`);
  check(pendingLeft === 0, `${pendingLeft} pending sign-ins left in sessions after their callbacks`);
  check(
    after.hits.keys === before.hits.keys,
    `${after.hits.keys! - before.hits.keys!} key set fetches during the run (cached in warm-up)`,
  );
  check(keyStore.keySet !== undefined && keyStore.inFlight === undefined, 'key cache: one key set, no refetch in flight');
  check(
    codes === total && redeemed === total && after.unusedCodes === 0,
    `${codes} codes issued, ${redeemed} redeemed, ${after.unusedCodes} unused`,
  );
  check(end.heapUsed <= start.heapUsed + HEAP_SLACK_BYTES, `heap back near its start (within +${MB(HEAP_SLACK_BYTES)})`);

  driver.exit();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  console.log(failures.length === 0 ? 'load: passed' : `load: FAILED (${failures.join('; ')})`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
