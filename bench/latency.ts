/**
 * What users wait for (issue 24): sign-in latency against an Okta stub that delays every
 * answer by 30 ms, cold (the first sign-in after the app process started) and warm, one
 * sign-in at a time; the requests each sign-in made; time to ready (process start → first
 * request answerable, → key set loaded); and the import time of each library.
 *
 *   npx tsx bench/latency.ts [--quick]     alone (writes bench/LATENCY.md, or bench/out/LATENCY-quick.md)
 *   npm run bench                          after the sign-in rows (`--skip-latency` leaves it out)
 *
 * Each round starts a new app process per contender (order rotated), signs in once at once
 * (cold), warms it with a few sign-ins, then times more (warm). Reported: medians of the
 * rounds; ratios are medians of the per-round ratios.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { admin, CookieJar, timedSignIn } from './client.js';
import {
  CALLBACK_PATH,
  contender,
  SHIPPED_BUILD,
  USER_SUB,
  type Contender,
  type ContenderId,
  type EndpointName,
  type ReadyMessage,
  type StubCounts,
} from './config.js';

export const STUB_DELAY_MS = 30;
/** The rows, in the table's order; `lat-okta` is the one the targets are about, `poidc` the reference. */
const ROWS: readonly ContenderId[] = ['lat-okta', 'lat-okta-auto', 'lat-okta-lazy', 'poidc', 'oc6', 'okta-mw', 'eoc'];
const REFERENCE: ContenderId = 'poidc';
/** Targets of issue 24, as ratios to passport-openidconnect (`userInfo: false` row). */
const TARGET_COLD = 1.15;
const TARGET_WARM = 1.05;

const IMPORTS: ReadonlyArray<{ label: string; specifier: () => string }> = [
  { label: 'passport-okta-oidc (dist/index.mjs)', specifier: () => pathToFileURL(SHIPPED_BUILD).href },
  { label: 'openid-client 6', specifier: () => 'openid-client' },
  { label: 'passport-openidconnect', specifier: () => 'passport-openidconnect' },
  { label: '@okta/oidc-middleware', specifier: () => '@okta/oidc-middleware' },
  { label: 'express-openid-connect', specifier: () => 'express-openid-connect' },
];

interface Plan {
  rounds: number;
  warmUp: number;
  warmSamples: number;
  importRounds: number;
}
const FULL: Plan = { rounds: 8, warmUp: 20, warmSamples: 20, importRounds: 10 };
const QUICK: Plan = { rounds: 1, warmUp: 3, warmSamples: 3, importRounds: 2 };

interface Round {
  readyMs: number;
  /** Process start → the stub's first answer from `/keys` for this app, if it asked before its first sign-in ended. */
  keysMs: number | undefined;
  cold: { total: number; callback: number };
  coldRequests: Record<EndpointName, number>;
  warm: { total: number; callback: number };
  /** Per warm sign-in. */
  warmRequests: Record<EndpointName, number>;
  /** The machine's load average (1 min) at the end of the turn. */
  load: number;
}

interface Row {
  contender: Contender;
  rounds: Round[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function startProcess(
  root: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(root, 'bench', script), args, {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ReadyMessage) => resolve({ child, port: message.port }));
    child.once('exit', (code) => reject(new Error(`${script} ${args[0] ?? ''} exited with ${code} before it was ready`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || !child.connected) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
    setTimeout(() => {
      child.kill();
      resolve();
    }, 5_000).unref();
  });
}

function diff(after: StubCounts, before: StubCounts, id: string, per = 1): Record<EndpointName, number> {
  const out = { authorize: 0, token: 0, keys: 0, userinfo: 0, discovery: 0, other: 0 };
  for (const k of Object.keys(out) as EndpointName[]) out[k] = ((after[id]?.[k] ?? 0) - (before[id]?.[k] ?? 0)) / per;
  return out;
}

async function measureOnce(root: string, stub: string, c: Contender, plan: Plan): Promise<Round> {
  await admin(`${stub}/__first?reset=1`);
  const counts0 = await admin<StubCounts>(`${stub}/__counts`);
  const startedAt = performance.timeOrigin + performance.now();
  const app = await startProcess(root, 'app.ts', [c.id, stub]);
  const readyMs = performance.timeOrigin + performance.now() - startedAt;
  try {
    const origin = `http://127.0.0.1:${app.port}`;
    const jar = new CookieJar();
    const cold = await timedSignIn(origin, jar, USER_SUB, CALLBACK_PATH);
    const counts1 = await admin<StubCounts>(`${stub}/__counts`);
    const first = await admin<Record<string, Partial<Record<EndpointName, number>>>>(`${stub}/__first`);
    const keysAt = first[c.authServerId]?.keys;
    for (let i = 0; i < plan.warmUp; i++) await timedSignIn(origin, jar, USER_SUB, CALLBACK_PATH);
    const counts2 = await admin<StubCounts>(`${stub}/__counts`);
    const totals: number[] = [];
    const callbacks: number[] = [];
    for (let i = 0; i < plan.warmSamples; i++) {
      const t = await timedSignIn(origin, jar, USER_SUB, CALLBACK_PATH);
      totals.push(t.total);
      callbacks.push(t.callback);
    }
    const counts3 = await admin<StubCounts>(`${stub}/__counts`);
    return {
      readyMs,
      keysMs: keysAt === undefined ? undefined : keysAt - startedAt,
      cold: { total: cold.total, callback: cold.callback },
      coldRequests: diff(counts1, counts0, c.authServerId),
      warm: { total: median(totals), callback: median(callbacks) },
      warmRequests: diff(counts3, counts2, c.authServerId, plan.warmSamples),
      load: os.loadavg()[0]!,
    };
  } finally {
    await stop(app.child);
  }
}

/** Milliseconds for `import()` of each library in a fresh Node.js process (no tsx), interleaved rounds. */
function importTimes(root: string, rounds: number): Map<string, number[]> {
  const times = new Map<string, number[]>(IMPORTS.map((i) => [i.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < IMPORTS.length; i++) {
      const entry = IMPORTS[(i + round) % IMPORTS.length]!;
      const script = `const t0 = performance.now(); await import(${JSON.stringify(entry.specifier())}); process.stdout.write(String(performance.now() - t0));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`import of ${entry.label} failed: ${run.stderr}`);
      times.get(entry.label)!.push(Number(run.stdout));
    }
  }
  return times;
}

const ms = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(1)} ms`);
const requests = (r: Record<EndpointName, number>): string => {
  const parts = (['discovery', 'token', 'keys', 'userinfo'] as const)
    .filter((k) => r[k] > 0)
    .map((k) => (r[k] === 1 ? k : `${k} ×${Number(r[k].toFixed(2))}`));
  return parts.length === 0 ? 'none' : parts.join(' + ');
};

function report(rows: Row[], imports: Map<string, number[]>, plan: Plan, quick: boolean): string {
  const reference = rows.find((r) => r.contender.id === REFERENCE)!;
  const ratio = (row: Row, pick: (r: Round) => number): number =>
    median(row.rounds.map((r, i) => pick(r) / pick(reference.rounds[i]!)));
  const lines: string[] = [];
  lines.push('## Sign-in latency: what users wait for (issue 24)');
  lines.push('');
  lines.push(
    `Okta stub delaying every answer by ${STUB_DELAY_MS} ms (authorize, token, keys, userinfo, discovery); one sign-in at a time ` +
      `through a browser that follows redirects (\`/login\` → stub authorize → callback → \`200 ok\`); ${plan.rounds} round(s), ` +
      `each starting a new app process per contender (order rotated): its first sign-in right after it said it was ready (cold), ` +
      `then ${plan.warmUp} unmeasured and ${plan.warmSamples} timed sign-ins (warm, their median). Medians of the rounds; ` +
      `ratios to passport-openidconnect are medians of per-round ratios.${quick ? ' Quick run: one round, indicative only.' : ''}`,
  );
  lines.push('');
  lines.push(
    '| contender | first sign-in after start | ÷ passport-openidconnect | its callback | requests of the first | warm sign-in | ÷ passport-openidconnect | its callback | requests of a warm one |',
  );
  lines.push('| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |');
  for (const row of rows) {
    const r = row.rounds;
    lines.push(
      `| ${row.contender.label} | ${ms(median(r.map((x) => x.cold.total)))} | ${ratio(row, (x) => x.cold.total).toFixed(2)}× | ` +
        `${ms(median(r.map((x) => x.cold.callback)))} | ${requests(r[0]!.coldRequests)} | ${ms(median(r.map((x) => x.warm.total)))} | ` +
        `${ratio(row, (x) => x.warm.total).toFixed(2)}× | ${ms(median(r.map((x) => x.warm.callback)))} | ${requests(r[0]!.warmRequests)} |`,
    );
  }
  const loads = rows.flatMap((row) => row.rounds.map((x) => x.load));
  lines.push('');
  lines.push(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? '?'}, Node.js ${process.version}; load average (1 min) ` +
      `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the turns.`,
  );
  const target = rows.find((r) => r.contender.id === 'lat-okta')!;
  const cold = ratio(target, (x) => x.cold.total);
  const warm = ratio(target, (x) => x.warm.total);
  lines.push('');
  lines.push(
    `Targets (passport-okta-oidc with \`userInfo: false\` ÷ passport-openidconnect): first sign-in ${cold.toFixed(2)}× ` +
      `(target ≤ ${TARGET_COLD}×: ${cold <= TARGET_COLD ? 'met' : '**missed**'}), warm ${warm.toFixed(2)}× ` +
      `(target ≤ ${TARGET_WARM}×: ${warm <= TARGET_WARM ? 'met' : '**missed**'}).`,
  );
  lines.push('');
  lines.push('### Time to ready and import time');
  lines.push('');
  lines.push(
    'Time to ready: from `fork()` of the app process (Node.js with the tsx loader, Express, express-session; each app ' +
      "imports its own library only) to its message that it listens with the strategy made (for ExpressOIDC: after its discovery), and to the stub's " +
      'first answer from `/keys` to it (— when the key set was not fetched before the first sign-in ended). Import time: ' +
      '`await import()` of the library alone in a fresh `node` (no tsx), medians of ' +
      `${plan.importRounds} interleaved runs.`,
  );
  lines.push('');
  lines.push('| contender | process start → ready | process start → key set loaded |');
  lines.push('| --- | ---: | ---: |');
  for (const row of rows) {
    const keys = row.rounds.map((x) => x.keysMs).filter((x): x is number => x !== undefined);
    lines.push(
      `| ${row.contender.label} | ${ms(median(row.rounds.map((x) => x.readyMs)))} | ${ms(keys.length === row.rounds.length ? median(keys) : undefined)} |`,
    );
  }
  lines.push('');
  lines.push('| library | import time |');
  lines.push('| --- | ---: |');
  for (const [label, values] of imports) lines.push(`| ${label} | ${ms(median(values))} |`);
  lines.push('');
  for (const row of rows) lines.push(`- **${row.contender.label}**: ${row.contender.note}.`);
  return lines.join('\n');
}

export async function runLatencyBench(options: {
  quick: boolean;
  root: string;
  log: (message: string) => void;
}): Promise<string> {
  const plan = options.quick ? QUICK : FULL;
  const stub = await startProcess(options.root, 'stub.ts', [], { BENCH_STUB_DELAY_MS: String(STUB_DELAY_MS) });
  const stubOrigin = `http://127.0.0.1:${stub.port}`;
  const rows: Row[] = ROWS.map((id) => ({ contender: contender(id), rounds: [] }));
  try {
    for (let round = 0; round < plan.rounds; round++) {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[(i + round) % rows.length]!;
        const measured = await measureOnce(options.root, stubOrigin, row.contender, plan);
        row.rounds.push(measured);
        options.log(
          `latency round ${round + 1}/${plan.rounds} ${row.contender.id.padEnd(13)} cold ${measured.cold.total.toFixed(1)} ms ` +
            `(callback ${measured.cold.callback.toFixed(1)})  warm ${measured.warm.total.toFixed(1)} ms  ready ${measured.readyMs.toFixed(0)} ms` +
            `  keys ${measured.keysMs === undefined ? '-' : `${measured.keysMs.toFixed(0)} ms`}`,
        );
      }
    }
  } finally {
    await stop(stub.child);
  }
  const imports = importTimes(options.root, plan.importRounds);
  options.log('latency: import times measured');
  return report(rows, imports, plan, options.quick);
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
  const started = performance.now();
  const log = (message: string): void =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
  runLatencyBench({ quick, root, log }).then(
    (markdown) => {
      // A full run replaces bench/LATENCY.md (as a full `npm run bench` does bench/RESULTS.md).
      const out = path.join(root, 'bench', 'out');
      mkdirSync(out, { recursive: true });
      const file = quick ? path.join(out, 'LATENCY-quick.md') : path.join(root, 'bench', 'LATENCY.md');
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      const written = `Written by \`npx tsx bench/latency.ts\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${seconds} s.`;
      writeFileSync(file, `${markdown.replace('\n\n', `\n\n${written}\n\n`)}\n`);
      console.log(`\n${markdown}\n\nwritten to ${path.relative(root, file)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
