/**
 * Summarizes V8 CPU profiles (`.cpuprofile`, from `npm run bench -- --profile`, which
 * starts the apps with `node --cpu-prof`): self time by function and by package or file,
 * and total (inclusive) time of the functions matching a filter.
 *
 *   npx tsx bench/profile.ts bench/out/profiles/okta [--top=30] [--match=lib/]
 *   npx tsx bench/profile.ts bench/out/profiles/okta --base=bench/out/profiles/bare
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
  const lib = url.indexOf('/lib/');
  if (lib !== -1 && !url.includes('/node_modules/')) return url.slice(lib + 1);
  const bench = url.indexOf('/bench/');
  if (bench !== -1) return url.slice(bench + 1);
  return url;
}

/** A file, or the main-thread profiles in a directory (`CPU.<date>.<time>.<pid>.0.<n>.cpuprofile`). */
function profilesIn(target: string): string[] {
  if (statSync(target).isFile()) return [target];
  return readdirSync(target)
    .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
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
