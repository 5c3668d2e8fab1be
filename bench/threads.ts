/**
 * CPU time of this process by thread, from /proc (Linux): `process.cpuUsage()` sums every
 * thread, and a V8 CPU profile samples the main thread only, so neither says how much of a
 * sign-in ran on libuv's pool (jose's WebCrypto calls) or on V8's GC and compiler threads.
 */
import { pbkdf2 } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** Microseconds of user + system CPU, summed by kind of thread. */
export interface ThreadCpu {
  /** The JavaScript thread. */
  main: number;
  /** libuv's thread pool: crypto (jose's WebCrypto calls), zlib, fs and dns work handed off by Node. */
  pool: number;
  /**
   * The threads that exist before the pool: V8's platform workers (concurrent GC marking and
   * sweeping, background compilation), Node's helper threads, and tsx's idle loader thread.
   */
  v8: number;
  /** Threads started later, if any. */
  other: number;
}

const TICK_MICROS = 1e6 / 100; // USER_HZ is 100 on Linux x86-64 and arm64

function tasks(): string[] | undefined {
  try {
    return readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
}

// Node 20 does not name its threads (all are "node"), and libuv's pool may already be
// running at start-up (tsx's loader reads files asynchronously), so the pool's threads are
// found by giving the pool work that nothing else does, and seeing which threads ran it.
let startup: Set<string> | undefined;
let pool: Set<string> | undefined;

function ticksByThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of tasks() ?? []) {
    const fields = statFields(tid);
    if (fields) out.set(tid, Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

function statFields(tid: string): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
  } catch {
    return undefined; // the thread ended meanwhile
  }
  // pid (comm) state ...: comm may hold spaces and parentheses, so split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Call at start-up: tells libuv's pool threads from the others (about 0.3 s of CPU on the pool). */
export async function markThreads(): Promise<void> {
  if (!tasks()) return;
  const before = ticksByThread();
  const jobs = Array.from(
    { length: 16 },
    () => new Promise((resolve) => pbkdf2('bench', 'threads', 40_000, 32, 'sha256', resolve)),
  );
  await Promise.all(jobs);
  const after = ticksByThread();
  pool = new Set(
    [...after].filter(([tid, ticks]) => Number(tid) !== process.pid && ticks - (before.get(tid) ?? 0) >= 2).map(([tid]) => tid),
  );
  startup = new Set([...after.keys()].filter((tid) => !pool!.has(tid)));
}

/** Undefined where /proc/self/task does not exist (not Linux) or before {@link markThreads}. */
export function threadCpu(): ThreadCpu | undefined {
  const ids = tasks();
  if (!ids || !startup || !pool) return undefined;
  const out: ThreadCpu = { main: 0, pool: 0, v8: 0, other: 0 };
  for (const tid of ids) {
    const fields = statFields(tid);
    if (!fields) continue;
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after "state".
    const micros = (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
    if (Number(tid) === process.pid) out.main += micros;
    else if (pool.has(tid)) out.pool += micros;
    else if (startup.has(tid)) out.v8 += micros;
    else out.other += micros;
  }
  return out;
}
