/**
 * Summarizes V8 CPU profiles (`.cpuprofile`, from `npm run bench -- --profile`, which
 * starts the apps with `node --cpu-prof`): self time by function and by package or file,
 * and total (inclusive) time of the functions matching a filter.
 *
 *   npx tsx bench/profile.ts bench/out/profiles/okta [--top=30] [--match=lib/]
 *   npx tsx bench/profile.ts bench/out/profiles/okta --base=bench/out/profiles/bare
 *   npx tsx bench/profile.ts --components bench/out/profiles/{okta,bare-jose,bare,poidc}.cpuprofile
 *
 * With `--components`, self time is grouped by component (the strategy's own code, jose,
 * node:http, express-session, passport, express, JSON, crypto, GC...) in µs per sign-in,
 * one column per profile, using the sign-in count and thread CPU that `npm run bench --
 * --profile` writes next to each profile (`<id>.json`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: `lib/x.ts`, a package name, `node:internal`, or a VM state. */
export function origin(url: string): string {
  if (url === '') return '(native/VM)';
  if (url.startsWith('node:internal/deps/')) return `${url.slice('node:internal/deps/'.length).split('/')[0]} (bundled in node)`;
  if (url.startsWith('node:internal/')) return url.split('/').slice(0, 3).join('/');
  if (url.startsWith('node:')) return url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1 && !url.includes('/node_modules/')) return url.slice(dist + 1);
  const lib = url.indexOf('/lib/');
  if (lib !== -1 && !url.includes('/node_modules/')) return url.slice(lib + 1);
  const bench = url.indexOf('/bench/');
  if (bench !== -1) return url.slice(bench + 1);
  return url;
}

const EXPRESS_DEPS = new Set([
  'express',
  'router',
  'finalhandler',
  'send',
  'serve-static',
  'qs',
  'parseurl',
  'path-to-regexp',
  'content-type',
  'content-disposition',
  'accepts',
  'negotiator',
  'type-is',
  'mime-types',
  'mime-db',
  'fresh',
  'etag',
  'vary',
  'encodeurl',
  'escape-html',
  'statuses',
  'http-errors',
  'on-finished',
  'proxy-addr',
  'forwarded',
  'range-parser',
  'merge-descriptors',
  'body-parser',
  'debug',
  'ms',
  'depd',
  'setprototypeof',
  'inherits',
  'toidentifier',
  'ee-first',
]);
const SESSION_DEPS = new Set([
  'express-session',
  'cookie',
  'cookie-signature',
  'uid-safe',
  'random-bytes',
  'on-headers',
  'safe-buffer',
]);
const PASSPORT_DEPS = new Set(['passport', 'passport-strategy', 'pause', 'utils-merge']);
const STRATEGY_CODE = new Set(['passport-openidconnect', 'oauth', 'openid-client', 'oauth4webapi']);

/**
 * The component a frame's self time belongs to. "strategy" is the contender's own code:
 * this package's build, bench/baseline.ts for the baselines, the peer's package for a peer.
 */
export function component(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC (main thread)';
  if (functionName === '(program)') return 'V8/native, unattributed';
  if (url === '') {
    if (/^(parse|stringify)$/.test(functionName)) return 'JSON';
    if (/random|hash|digest|sign|verify|cipher|pbkdf|crypto/i.test(functionName)) return 'crypto';
    if (
      /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString|shutdown|close|readStop|readStart|onStreamRead|onread|execute|consume)$/.test(
        functionName,
      )
    )
      return 'node:http, net, streams';
    return 'V8/native, unattributed';
  }
  const o = origin(url);
  if (o.startsWith('dist/') || o.startsWith('lib/') || o === 'bench/baseline.ts' || STRATEGY_CODE.has(o))
    return 'strategy (own code)';
  if (o === 'jose') return 'jose';
  if (SESSION_DEPS.has(o)) return 'express-session';
  if (PASSPORT_DEPS.has(o)) return 'passport';
  if (EXPRESS_DEPS.has(o)) return 'express';
  if (o.startsWith('bench/')) return 'bench app (admin routes, verify callback)';
  if (o.startsWith('node:internal/crypto') || o === 'node:crypto') return 'crypto';
  if (
    /^node:(_http_|http|https|net|stream|_stream|internal\/(http|streams|net|stream_base|js_stream|child_process\/serialization)|internal\/deps\/undici|dns)/.test(
      o,
    ) ||
    o.startsWith('undici')
  )
    return 'node:http, net, streams';
  if (
    o.startsWith('node:internal/url') ||
    o === 'node:url' ||
    o === 'node:querystring' ||
    o.startsWith('node:internal/querystring')
  )
    return 'URL, querystring';
  if (o.startsWith('node:internal/') || o.startsWith('node:')) return 'node: other (timers, promises, events, buffers)';
  return `other: ${o}`;
}

interface ProfileMeta {
  signIns: number;
  cpuMicros: number;
  threads?: { main: number; pool: number; v8: number; other: number };
  load?: number[];
}

/** µs per sign-in by component, one column per profile, with the thread figures below. */
export function components(files: string[]): string {
  const cols = files.map((file) => {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const meta = JSON.parse(readFileSync(file.replace(/\.cpuprofile$/, '.json'), 'utf8')) as ProfileMeta;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const by = new Map<string, number>();
    let busy = 0;
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(idle)') return;
      const dt = profile.timeDeltas[i] ?? 0;
      busy += dt;
      const c = component(frame);
      by.set(c, (by.get(c) ?? 0) + dt);
    });
    return { name: path.basename(file, '.cpuprofile'), by, busy, meta };
  });
  const names = [...new Set(cols.flatMap((c) => [...c.by.keys()]))].sort(
    (a, b) => (cols[0]!.by.get(b) ?? 0) - (cols[0]!.by.get(a) ?? 0),
  );
  const per = (c: (typeof cols)[number], us: number): string => (us / c.meta.signIns).toFixed(0);
  // The profiler samples wall time: on a busy machine a descheduled thread still collects
  // samples in whatever it was running. Each component's share of the samples is therefore
  // applied to the JavaScript thread's CPU time from /proc, not to the sampled time.
  const scaled = (c: (typeof cols)[number], us: number): string => {
    const share = us / c.busy;
    const main = c.meta.threads?.main;
    const pct = `${(share * 100).toFixed(1)}%`;
    return main === undefined ? pct : `${((share * main) / c.meta.signIns).toFixed(0)} (${pct})`;
  };
  const out = [
    `| component: µs per sign-in on the JavaScript thread (share of its samples) | ${cols.map((c) => c.name).join(' | ')} |`,
    `| --- | ${cols.map(() => '---:').join(' | ')} |`,
    ...names.map((n) => `| ${n} | ${cols.map((c) => scaled(c, c.by.get(n) ?? 0)).join(' | ')} |`),
    `| sampled wall time while not idle (inflated by preemption) | ${cols.map((c) => per(c, c.busy)).join(' | ')} |`,
    `| /proc: JavaScript thread | ${cols.map((c) => (c.meta.threads ? per(c, c.meta.threads.main) : '–')).join(' | ')} |`,
    `| /proc: libuv pool | ${cols.map((c) => (c.meta.threads ? per(c, c.meta.threads.pool) : '–')).join(' | ')} |`,
    `| /proc: V8 workers (GC, compiler) | ${cols.map((c) => (c.meta.threads ? per(c, c.meta.threads.v8) : '–')).join(' | ')} |`,
    `| **app CPU (process.cpuUsage)** | ${cols.map((c) => `**${per(c, c.meta.cpuMicros)}**`).join(' | ')} |`,
    `| sign-ins profiled | ${cols.map((c) => c.meta.signIns).join(' | ')} |`,
    `| load average at the end (1 min) | ${cols.map((c) => c.meta.load?.[0]?.toFixed(2) ?? '–').join(' | ')} |`,
  ];
  return out.join('\n');
}

/** A file, or the main-thread profiles in a directory (`CPU.<date>.<time>.<pid>.0.<n>.cpuprofile`). */
function profilesIn(target: string): string[] {
  if (statSync(target).isFile()) return [target];
  return readdirSync(target)
    .filter((f) => /\.cpuprofile$/.test(f))
    .sort()
    .map((f) => path.join(target, f));
}

interface Summary {
  busy: number;
  idle: number;
  selfByFunction: Map<string, number>;
  selfByOrigin: Map<string, number>;
  inclusive: Map<string, number>;
}

/** Self time by function and by origin, and inclusive time by function, in microseconds. */
export function load(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (byId.get(id)?.callFrame.functionName === '(idle)') idle += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const key = (f: CallFrame): string => `${f.functionName || '(anonymous)'} ${origin(f.url)}:${f.lineNumber + 1}`;
  const selfByFunction = new Map<string, number>();
  const selfByOrigin = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, dt] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    selfByFunction.set(key(frame), (selfByFunction.get(key(frame)) ?? 0) + dt);
    selfByOrigin.set(origin(frame.url), (selfByOrigin.get(origin(frame.url)) ?? 0) + dt);
    // Inclusive time: once per distinct function on the sample's stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  return { busy: total - idle, idle, selfByFunction, selfByOrigin, inclusive };
}

const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;

export function summarize(file: string, top: number, match: string | undefined): string {
  const { busy, idle, selfByFunction, selfByOrigin, inclusive } = load(file);
  const pct = (us: number): string => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const rows = (m: Map<string, number>, n: number, filter?: (k: string) => boolean): string[] =>
    [...m]
      .filter(([k]) => !filter || filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${pct(us)}  ${ms(us)}  ${k}`);
  const out = [
    `${file}: ${(busy / 1000).toFixed(0)} ms busy (${(idle / 1000).toFixed(0)} ms idle)`,
    'self time by package or file:',
    ...rows(selfByOrigin, top),
    'self time by function:',
    ...rows(selfByFunction, top),
  ];
  if (match) out.push(`inclusive time, functions in "${match}":`, ...rows(inclusive, top, (k) => k.includes(match)));
  return out.join('\n');
}

/**
 * Where `file` spends more (or less) than `base`: differences of self time by origin and
 * by function. Meaningful when both apps served the same number of requests.
 */
export function compare(file: string, base: string, top: number): string {
  const a = load(file);
  const b = load(base);
  const diff = (x: Map<string, number>, y: Map<string, number>): Array<[string, number]> => {
    const keys = new Set([...x.keys(), ...y.keys()]);
    return [...keys].map((k): [string, number] => [k, (x.get(k) ?? 0) - (y.get(k) ?? 0)]).sort((p, q) => q[1] - p[1]);
  };
  const rows = (d: Array<[string, number]>): string[] => [
    ...d.slice(0, top).map(([k, us]) => `  +${ms(us).trim().padStart(9)}  ${k}`),
    '  ...',
    ...d
      .slice(-Math.min(8, d.length))
      .filter(([, us]) => us < 0)
      .map(([k, us]) => `  ${ms(us).trim().padStart(10)}  ${k}`),
  ];
  return [
    `${file}: ${ms(a.busy).trim()} busy, vs ${base}: ${ms(b.busy).trim()} (${ms(a.busy - b.busy).trim()} more)`,
    'self time by package or file, difference:',
    ...rows(diff(a.selfByOrigin, b.selfByOrigin)),
    'self time by function, difference:',
    ...rows(diff(a.selfByFunction, b.selfByFunction)),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--components')) {
    console.log(components(args.filter((a) => !a.startsWith('--'))));
    process.exit(0);
  }
  const target = args.find((a) => !a.startsWith('--'));
  if (!target) {
    console.error('usage: tsx bench/profile.ts <profile file or directory> [--top=30] [--match=lib/] [--base=<profile>]');
    process.exit(2);
  }
  const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
  const match = args.find((a) => a.startsWith('--match='))?.slice(8);
  const base = args.find((a) => a.startsWith('--base='))?.slice(7);
  for (const file of profilesIn(target)) {
    console.log(base ? compare(file, profilesIn(base)[0]!, top) : summarize(file, top, match), '\n');
  }
}
