/** Turns the benchmark's measurements into bench/RESULTS.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type os from 'node:os';
import type { Contender, EndpointName, Plan } from './config.js';
import type { ThreadCpu } from './threads.js';

export interface RoundFigures {
  c1PerSec: number;
  c32PerSec: number;
  /** App-process CPU microseconds per sign-in. */
  cpuC1: number;
  cpuC32: number;
  startsPerSec: number;
  cpuStart: number;
  /** The same app CPU per sign-in by thread, from /proc (Linux only). */
  threadsC32?: ThreadCpu | undefined;
  threadsC1?: ThreadCpu | undefined;
  /** The machine's 1-minute load average at the end of the contender's turn. */
  load?: number | undefined;
}

export interface MemoryReading {
  label: string;
  /** Sign-ins since the end of the warm-up. */
  signIns: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface ContenderResult {
  contender: Contender;
  rounds: RoundFigures[];
  memory: MemoryReading[];
  startupRequests: Record<EndpointName, number> | undefined;
  warmupRequests: Record<EndpointName, number> | undefined;
  /** Requests to the stub during the measured sign-ins (after warm-up). */
  signInRequests: Record<EndpointName, number>;
  measuredSignIns: number;
  /** Requests to the stub during the measured start steps (should be none). */
  startRequests: number;
  measuredStarts: number;
  /** Bytes of session JSON a start step leaves (express-session's memory store), beyond an empty session's. */
  pendingBytes?: number | undefined;
}

export interface RunInfo {
  quick: boolean;
  plan: Plan;
  date: string;
  seconds: number;
  cpus: os.CpuInfo[];
  totalMem: number;
  platform: string;
  node: string;
  versions: Record<string, string>;
  loadStart: number[];
  loadEnd: number[];
  profiled: boolean;
}

/**
 * Memory "growth": bytes per sign-in from the reading after warm-up to the last one, both
 * after full GCs. A leak of one small object per sign-in is 50 to 100 bytes or more; a
 * reading varies by about ±0.3 MiB (what the session store and V8's code space hold at that
 * moment), about ±6 bytes per sign-in over 50,000. RSS also follows how busy the app was
 * just before the reading (V8 and the allocator give memory back when it idles).
 */
const HEAP_GROWTH_LIMIT = 32;
const RSS_GROWTH_LIMIT = 160;
/** Issue 14's targets: app CPU per sign-in against the two baselines, the start step, the pending login. */
const JOSE_TARGET_RATIO = 1.05;
const SYNC_TARGET_RATIO = 1.15;
const START_TARGET_RATIO = 1.05;
const PENDING_TARGET_BYTES = 200;
const PEERS = ['oc6', 'oc6-sig', 'poidc'];

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Half the range across rounds, as a percentage of the median. */
function spread(values: number[]): string {
  if (values.length < 2) return '';
  const m = median(values);
  return ` ±${(((Math.max(...values) - Math.min(...values)) / 2 / m) * 100).toFixed(0)}%`;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const signedMib = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024 / 1024).toFixed(1)} MiB`;

type Metric = 'c1PerSec' | 'c32PerSec' | 'cpuC1' | 'cpuC32' | 'startsPerSec' | 'cpuStart';

export function medians(result: ContenderResult): Record<Metric, number> {
  const keys: Metric[] = ['c1PerSec', 'c32PerSec', 'cpuC1', 'cpuC32', 'startsPerSec', 'cpuStart'];
  return Object.fromEntries(keys.map((k) => [k, median(result.rounds.map((r) => r[k]))])) as Record<Metric, number>;
}

/**
 * The median over rounds of this contender's figure divided by the reference's in the
 * same round: rounds are short and interleaved, so this cancels most of the drift of a
 * shared machine's load. Falls back to the ratio of the medians.
 */
export function pairedRatioValue(result: ContenderResult, reference: ContenderResult, metric: Metric): number {
  if (result.rounds.length !== reference.rounds.length || result.rounds.length === 0) {
    return medians(result)[metric] / medians(reference)[metric];
  }
  return median(result.rounds.map((r, i) => r[metric] / reference.rounds[i]![metric]));
}

function pairedRatio(result: ContenderResult, reference: ContenderResult | undefined, metric: Metric): string {
  if (!reference) return '–';
  return `${pairedRatioValue(result, reference, metric).toFixed(2)}×`;
}

function perSignIn(result: ContenderResult, endpoint: EndpointName): number {
  return result.measuredSignIns ? result.signInRequests[endpoint] / result.measuredSignIns : NaN;
}

function requestCell(result: ContenderResult): string {
  const parts = (['token', 'keys', 'userinfo', 'discovery'] as const).map((e) => {
    const v = perSignIn(result, e);
    return v === 0 ? '0' : v.toFixed(v >= 0.1 ? 2 : 5);
  });
  const total = (['token', 'keys', 'userinfo', 'discovery', 'other'] as const).reduce((s, e) => s + perSignIn(result, e), 0);
  return `${total.toFixed(total === Math.round(total) ? 0 : 4)} (${parts.join(' / ')})`;
}

function setupRequestCell(result: ContenderResult): string {
  const add = (e: EndpointName): number => (result.startupRequests?.[e] ?? 0) + (result.warmupRequests?.[e] ?? 0);
  const parts: string[] = [];
  for (const e of ['discovery', 'keys', 'userinfo'] as const) if (add(e) > 0) parts.push(`${add(e)} ${e}`);
  return parts.length ? parts.join(', ') : 'none';
}

interface MemoryVerdict {
  warm: MemoryReading | undefined;
  rounds: MemoryReading | undefined;
  last: MemoryReading | undefined;
  /** Bytes per sign-in from the reading after warm-up to the last one. */
  heapPerSignIn: number;
  rssPerSignIn: number;
  /** The same from the reading after the rounds to the last one. */
  heapPerSignInLastLeg: number;
  rssPerSignInLastLeg: number;
  grows: boolean;
}

function memoryVerdict(result: ContenderResult): MemoryVerdict {
  const warm = result.memory[0];
  const rounds = result.memory[1];
  const last = result.memory.at(-1);
  const per = (from: MemoryReading | undefined, pick: (m: MemoryReading) => number): number => {
    const n = from && last ? last.signIns - from.signIns : 0;
    return from && last && n > 0 ? (pick(last) - pick(from)) / n : NaN;
  };
  const heapPerSignIn = per(warm, (m) => m.heapUsed);
  const rssPerSignIn = per(warm, (m) => m.rss);
  return {
    warm,
    rounds,
    last,
    heapPerSignIn,
    rssPerSignIn,
    heapPerSignInLastLeg: per(rounds, (m) => m.heapUsed),
    rssPerSignInLastLeg: per(rounds, (m) => m.rss),
    grows: heapPerSignIn > HEAP_GROWTH_LIMIT || rssPerSignIn > RSS_GROWTH_LIMIT,
  };
}

const bytes = (n: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)} B` : '–');

export function renderResults(info: RunInfo, results: ContenderResult[]): string {
  const byId = new Map(results.map((r) => [r.contender.id, { result: r, m: medians(r) }]));
  const okta = byId.get('okta')?.m;
  const oktaResult = byId.get('okta')?.result;
  const bareResult = byId.get('bare')?.result;
  const joseResult = byId.get('bare-jose')?.result;
  const { plan } = info;
  const cell = (r: ContenderResult, value: number, metric: Metric, unit = ''): string =>
    `${int(value)}${unit} (${pairedRatio(r, oktaResult, metric)} · ${pairedRatio(r, bareResult, metric)}` +
    `${joseResult ? ` · ${pairedRatio(r, joseResult, metric)}` : ''})`;

  const lines: string[] = [];
  lines.push('# Benchmark results: a sign-in through passport-okta-oidc, its peers and a bare baseline');
  lines.push('');
  lines.push(
    `Written by \`npm run bench\`${info.quick ? ' in **quick mode** (too few sign-ins for the figures to mean much)' : ''} ` +
      `on ${info.date.slice(0, 16).replace('T', ' ')} UTC, in ${Math.round(info.seconds)} s.` +
      (info.profiled ? ' **The apps ran under `--cpu-prof`: CPU figures are inflated.**' : ''),
  );
  lines.push('');
  const cpu = info.cpus[0];
  lines.push(
    `- Machine: ${info.cpus.length} × ${cpu?.model ?? '?'}${cpu?.speed ? ` (${cpu.speed} MHz)` : ''}, ` +
      `${(info.totalMem / 1024 ** 3).toFixed(1)} GiB RAM, ${info.platform}; load average ${info.loadStart[0]!.toFixed(2)} at the ` +
      `start, ${info.loadEnd[0]!.toFixed(2)} at the end (1 min).`,
  );
  lines.push(`- Node.js ${info.node}.`);
  lines.push(
    `- Packages: ${Object.entries(info.versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}.`,
  );
  lines.push(
    `- Plan: each contender warmed with ${int(plan.warmSignIns)} sign-ins and ${int(plan.warmStarts)} start steps; then ` +
      `${plan.rounds} interleaved round${plan.rounds > 1 ? 's' : ''} (order rotated, ${plan.rewarm} unmeasured sign-ins ` +
      `before each turn) of ${int(plan.signInsC32)} sign-ins at concurrency ${plan.concurrency}, ${int(plan.signInsC1)} at ` +
      `concurrency 1 and ${int(plan.starts)} start steps at concurrency ${plan.concurrency}` +
      (plan.memorySignIns > 0
        ? `; then topped up to ${int(plan.memorySignIns)} sign-ins after warm-up for the last memory reading`
        : '') +
      '. Figures are the medians of the rounds.',
  );
  lines.push('');

  lines.push('## Sign-in cost');
  lines.push('');
  lines.push(
    'Each cell: the median, then its ratio to passport-okta-oidc, to the bare baseline and to the bare baseline verifying ' +
      'with jose (`value (×okta · ×baseline · ×baseline-jose)`), ' +
      'each ratio being the median of the per-round ratios (rounds are short and interleaved, so this cancels most of the ' +
      'drift of a shared machine). ' +
      'CPU is the app process’s own `process.cpuUsage()` (user + system) per sign-in or start step, so the stub and the ' +
      'load client are not counted; ± is half the range across rounds. Throughput is the whole system’s on this machine: ' +
      'the stub (which signs an RS256 ID token per sign-in) and the client share the same cores.',
  );
  lines.push('');
  lines.push(
    `| contender | app CPU / sign-in, c=${plan.concurrency} | app CPU / sign-in, c=1 | sign-ins/s, c=1 | sign-ins/s, c=${plan.concurrency} | start steps/s, c=${plan.concurrency} | app CPU / start step |`,
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const m = medians(r);
    lines.push(
      `| ${r.contender.label} | ${cell(r, m.cpuC32, 'cpuC32', ' µs')}${spread(r.rounds.map((x) => x.cpuC32))} | ` +
        `${cell(r, m.cpuC1, 'cpuC1', ' µs')} | ${cell(r, m.c1PerSec, 'c1PerSec')} | ${cell(r, m.c32PerSec, 'c32PerSec')} | ` +
        `${cell(r, m.startsPerSec, 'startsPerSec')} | ${cell(r, m.cpuStart, 'cpuStart', ' µs')} |`,
    );
  }
  lines.push('');

  if (results.some((r) => r.rounds.some((x) => x.threadsC32))) {
    lines.push('### App CPU per sign-in by thread');
    lines.push('');
    lines.push(
      'From `/proc/self/task/*/stat` in the app process (10 ms ticks, summed over each block): the JavaScript thread, ' +
        "libuv's pool (WebCrypto calls, so jose's signature checks), and the threads that exist before the pool (V8's " +
        'concurrent GC and compiler workers, mostly). Medians over the rounds, µs per sign-in; the load average is the ' +
        "machine's (1 min) at the end of each turn, as the range over the rounds.",
    );
    lines.push('');
    lines.push(
      `| contender | c=${plan.concurrency}: main · pool · V8 workers | c=1: main · pool · V8 workers | load average during the rounds |`,
    );
    lines.push('| --- | --- | --- | --- |');
    for (const r of results) {
      const part = (pick: (x: RoundFigures) => ThreadCpu | undefined): string => {
        const rows = r.rounds.map(pick).filter((t): t is ThreadCpu => t !== undefined);
        if (rows.length === 0) return '–';
        const m = (k: keyof ThreadCpu): string => int(median(rows.map((t) => t[k])));
        return `${m('main')} · ${m('pool')} · ${m('v8')}`;
      };
      const loads = r.rounds.map((x) => x.load).filter((x): x is number => x !== undefined);
      const load = loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–';
      lines.push(`| ${r.contender.label} | ${part((x) => x.threadsC32)} | ${part((x) => x.threadsC1)} | ${load} |`);
    }
    lines.push('');
  }

  lines.push('## Outbound requests and memory');
  lines.push('');
  lines.push(
    'Requests are counted by the stub per contender (each has its own authorization server path). "Per sign-in" ' +
      'covers the measured sign-ins, after warm-up: total (token / keys / userinfo / discovery). Memory is read in the ' +
      'app process after full GCs (`--expose-gc`): after warm-up, after the rounds and at the end; growth per sign-in ' +
      'is from the first reading to the last.',
  );
  lines.push('');
  lines.push(
    '| contender | outbound per sign-in after warm-up | at start-up and warm-up | during start steps | sign-ins after warm-up: rounds → end | RSS: after warm-up → rounds → end | heap used: after warm-up → rounds → end | growth per sign-in, warm-up → end (heap · RSS) |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const v = memoryVerdict(r);
    const mem = (pick: (m: MemoryReading) => number): string =>
      v.warm && v.rounds && v.last
        ? `${mib(pick(v.warm))} → ${mib(pick(v.rounds))}${v.last === v.rounds ? '' : ` → ${mib(pick(v.last))}`}`
        : '–';
    lines.push(
      `| ${r.contender.label} | ${requestCell(r)} | ${setupRequestCell(r)} | ${r.startRequests} in ${int(r.measuredStarts)} | ` +
        `${int(v.rounds?.signIns ?? 0)}${v.last === v.rounds ? '' : ` → ${int(v.last?.signIns ?? 0)}`} | ` +
        `${mem((m) => m.rss)} | ${mem((m) => m.heapUsed)} | ` +
        `${Number.isFinite(v.heapPerSignIn) ? `${bytes(v.heapPerSignIn)} · ${bytes(v.rssPerSignIn)}` : '–'} |`,
    );
  }
  lines.push('');
  lines.push(
    `The start steps (${int(plan.warmStarts + plan.rounds * plan.starts)}) all come before the reading after the rounds, ` +
      `which follows ${int(plan.rewarm)} sign-ins of that app (an app that waited for the others has given memory back). ` +
      'Rows marked as experiments are not topped up after the rounds.',
  );
  lines.push('');
  const sized = results.filter((r) => r.pendingBytes !== undefined);
  if (sized.length) {
    lines.push(
      'What a start step leaves in the session store (express-session serializes the session as JSON), beyond what ' +
        `an empty session holds: ${sized.map((r) => `${r.contender.label} ${r.pendingBytes} B`).join(', ')}.`,
    );
    lines.push('');
  }

  lines.push('## Targets (issue 14)');
  lines.push('');
  if (info.quick) {
    lines.push('Quick mode: a few hundred sign-ins, V8 barely warm; the verdicts below are indicative only.');
    lines.push('');
  }
  const verdict = (values: number[], limit: number): string =>
    values.every((v) => v <= limit)
      ? 'met'
      : values.every((v) => v > limit)
        ? 'missed'
        : 'borderline (the estimates fall on either side of the limit)';
  const against = (reference: ContenderResult, label: string, limit: number): void => {
    if (!oktaResult) return;
    const m = medians(oktaResult);
    const r = medians(reference);
    // Both estimates (per-round ratios, ratio of medians) per concurrency; the target holds at both.
    const at = (metric: 'cpuC32' | 'cpuC1', name: string): string => {
      const paired = pairedRatioValue(oktaResult, reference, metric);
      const byMedians = m[metric] / r[metric];
      return `${paired.toFixed(3)}× at ${name} (by the medians ${byMedians.toFixed(2)}×): **${verdict([paired, byMedians], limit)}**`;
    };
    lines.push(`- App CPU per sign-in ≤ ${limit}× ${label}: ${at('cpuC32', `c=${plan.concurrency}`)}; ${at('cpuC1', 'c=1')}.`);
  };
  if (joseResult) against(joseResult, 'the bare baseline verifying with jose', JOSE_TARGET_RATIO);
  if (bareResult) against(bareResult, 'the bare baseline (node:crypto)', SYNC_TARGET_RATIO);
  if (oktaResult && bareResult) {
    const start = pairedRatioValue(oktaResult, bareResult, 'cpuStart');
    lines.push(
      `- Start step ≤ ${START_TARGET_RATIO}× the baseline's app CPU: ${start.toFixed(3)}×` +
        `${joseResult ? ` (${pairedRatioValue(oktaResult, joseResult, 'cpuStart').toFixed(3)}× the baseline with jose's)` : ''}: ` +
        `**${verdict([start], START_TARGET_RATIO)}**.`,
    );
  }
  if (oktaResult?.pendingBytes !== undefined) {
    lines.push(
      `- Pending login ≤ ${PENDING_TARGET_BYTES} B of session JSON: ${oktaResult.pendingBytes} B` +
        `${bareResult?.pendingBytes !== undefined ? ` (baseline ${bareResult.pendingBytes} B)` : ''}: ` +
        `**${oktaResult.pendingBytes <= PENDING_TARGET_BYTES ? 'met' : 'missed'}**.`,
    );
  }
  if (okta && oktaResult) {
    const peers = PEERS.map((id) => byId.get(id as never)).filter((p) => p !== undefined);
    if (peers.length) {
      const ratios = peers.map((p) => ({ p, r: pairedRatioValue(oktaResult, p.result, 'cpuC32') }));
      const beaten = ratios.filter(({ r }) => r < 1);
      lines.push(
        `- CPU per sign-in lower than every peer's: ${ratios
          .map(({ p, r }) => `${p.result.contender.label} ${int(p.m.cpuC32)} µs (ours is ${r.toFixed(2)}× theirs)`)
          .join(
            ', ',
          )}: **${beaten.length === peers.length ? 'met' : `missed (${peers.length - beaten.length} of ${peers.length} cheaper)`}**. ` +
          'passport-openidconnect sends no PKCE and does not check the ID token signature; openid-client 6 checks no ' +
          'nonce, and no signature unless non-repudiation checks are enabled.',
      );
    }
    for (const id of ['okta-fetch', 'candidate'] as const) {
      const after = byId.get(id)?.result;
      if (!after || !bareResult) continue;
      const peerRatios = PEERS.map((p) => byId.get(p as never))
        .filter((p) => p !== undefined)
        .map((p) => `${pairedRatioValue(after, p.result, 'cpuC32').toFixed(2)}× ${p.result.contender.id}`);
      lines.push(
        `- For comparison, **${after.contender.label}**: ${pairedRatioValue(after, bareResult, 'cpuC32').toFixed(2)}× the ` +
          `baseline's CPU per sign-in at c=${plan.concurrency} (${pairedRatioValue(after, bareResult, 'cpuC1').toFixed(2)}× at c=1); ` +
          `${pairedRatioValue(after, oktaResult, 'cpuC32').toFixed(2)}× the shipped strategy's` +
          (peerRatios.length ? `; vs the peers: ${peerRatios.join(', ')}.` : '.'),
      );
    }
    const o = byId.get('okta')!.result;
    const total = (['token', 'keys', 'userinfo', 'discovery', 'other'] as const).reduce((s, e) => s + o.signInRequests[e], 0);
    const one = o.signInRequests.token === o.measuredSignIns && total === o.measuredSignIns;
    lines.push(
      `- Exactly one outbound request per sign-in after warm-up (scope \`openid\`, userInfo at its default 'auto'): ` +
        `${total} requests for ${o.measuredSignIns} sign-ins (${o.signInRequests.token} token): **${one ? 'met' : 'missed'}**.`,
    );
    const v = memoryVerdict(o);
    lines.push(
      `- No growth of RSS or heap after warm-up across ${int(v.last?.signIns ?? 0)} sign-ins: from warm-up to the end, heap ` +
        `${v.warm && v.last ? signedMib(v.last.heapUsed - v.warm.heapUsed) : '–'} (${bytes(v.heapPerSignIn)} per sign-in), RSS ` +
        `${v.warm && v.last ? signedMib(v.last.rss - v.warm.rss) : '–'} (${bytes(v.rssPerSignIn)}); limits +${HEAP_GROWTH_LIMIT} B ` +
        `and +${RSS_GROWTH_LIMIT} B per sign-in, about what one leaked object per sign-in would add. Over the last ` +
        `${int(v.rounds && v.last ? v.last.signIns - v.rounds.signIns : 0)} sign-ins alone: heap ${bytes(v.heapPerSignInLastLeg)}, ` +
        `RSS ${bytes(v.rssPerSignInLastLeg)} per sign-in: ` +
        `**${info.quick ? 'not measured in quick mode' : Number.isFinite(v.heapPerSignIn) ? (v.grows ? 'missed' : 'met') : 'not measured'}**.`,
    );
  }
  lines.push('');

  lines.push('## What each contender does');
  lines.push('');
  for (const r of results) lines.push(`- **${r.contender.label}**: ${r.contender.note}.`);
  lines.push('');
  lines.push(
    'All run in an Express 5 app with express-session (memory store) and Passport 0.7, `passport.session()`, ' +
      '`keepSessionInfo: true` on the callback; the callback answers `200 ok <user id>`. The client is one browser per ' +
      'worker that keeps its cookies across sign-ins (a returning user), so the session store stays small; start steps ' +
      'use a new browser each and the sessions they leave are cleared after each block. All outbound HTTP of the apps ' +
      'goes to the stub on 127.0.0.1 over keep-alive connections. The apps run TypeScript through tsx ' +
      '(`node --import tsx`), whose loader thread adds the same few MiB of RSS to every row; passport-okta-oidc itself ' +
      'is loaded from its build (`dist/index.mjs`), as users get it.',
  );
  lines.push('');
  lines.push(
    '**Re-measure on an idle machine** before quoting these numbers: the CPU ratios hold up reasonably under load, the ' +
      'throughput figures do not.',
  );
  lines.push('');
  return lines.join('\n');
}

export function writeResults(file: string, info: RunInfo, results: ContenderResult[]): string {
  const markdown = renderResults(info, results);
  writeFileSync(file, markdown);
  return markdown;
}

// `npx tsx bench/report.ts [bench/out/results.json]`: renders a run's saved measurements
// again (bench/out/results.json -> bench/RESULTS.md, results-<x>.json -> RESULTS-<x>.md).
if (require.main === module) {
  const input = path.resolve(process.argv[2] ?? path.join(__dirname, 'out', 'results.json'));
  const { info, results } = JSON.parse(readFileSync(input, 'utf8')) as { info: RunInfo; results: ContenderResult[] };
  const variant = /results-(.+)\.json$/.exec(input)?.[1];
  const output = variant ? path.join(path.dirname(input), `RESULTS-${variant}.md`) : path.join(__dirname, 'RESULTS.md');
  writeResults(output, info, results);
  console.log(`wrote ${path.relative(process.cwd(), output)}`);
}
