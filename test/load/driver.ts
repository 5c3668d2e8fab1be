/**
 * The other side of the load test, in its own process (so the app process is measured
 * alone): the hostile provider in honest mode, and the browsers. Driven over IPC by
 * load.ts: `{ cmd: 'wave', ... }` runs sign-ins and answers with their results.
 */
import { Agent } from 'node:http';
import { CookieBrowser } from '../support/hostile-app.js';
import { HostileOkta } from '../support/hostile-okta.js';

export type DriverCommand =
  | { cmd: 'wave'; appOrigin: string; prefix: string; count: number; concurrency: number }
  | { cmd: 'stats' }
  | { cmd: 'forget' }
  | { cmd: 'exit' };

export interface WaveReport {
  ok: number;
  failed: number;
  crossTalk: number;
  /** Distinct failure reasons, at most 10. */
  reasons: string[];
  /** Milliseconds per whole sign-in (4 requests), sorted, for the ones that succeeded. */
  p50: number;
  p95: number;
  max: number;
  seconds: number;
}

export type DriverMessage =
  | { type: 'ready'; oktaOrigin: string }
  | { type: 'wave'; report: WaveReport }
  | { type: 'stats'; hits: Record<string, number>; unusedCodes: number }
  | { type: 'done' };

interface Result {
  ok: boolean;
  ms: number;
  reason?: string;
}

/** One browser signs in as `user`, then asks the app whom it signed in. */
async function signIn(appOrigin: string, user: string, agent: Agent): Promise<Result> {
  const started = performance.now();
  const browser = new CookieBrowser(agent);
  try {
    const login = await browser.get(`${appOrigin}/login?user=${user}`);
    if (login.status !== 302 || !login.location) return { ok: false, ms: 0, reason: `login ${login.status}` };
    const authorize = await browser.get(login.location);
    if (authorize.status !== 302 || !authorize.location) return { ok: false, ms: 0, reason: `authorize ${authorize.status}` };
    const callback = await browser.get(authorize.location);
    if (callback.status !== 302 || callback.location !== '/me') {
      return {
        ok: false,
        ms: 0,
        reason: `callback ${callback.status} ${callback.location ?? ''} ${callback.body.slice(0, 100)}`,
      };
    }
    const me = JSON.parse((await browser.get(`${appOrigin}/me`)).body) as { user: { id: string } | null };
    if (me.user?.id !== `00u${user}`) return { ok: false, ms: 0, reason: `cross-talk: ${user} is signed in as ${me.user?.id}` };
    return { ok: true, ms: performance.now() - started };
  } catch (err) {
    return { ok: false, ms: 0, reason: String(err) };
  }
}

async function wave(command: Extract<DriverCommand, { cmd: 'wave' }>, agent: Agent): Promise<WaveReport> {
  const started = performance.now();
  const results: Result[] = [];
  let next = 0;
  const browserLoop = async (): Promise<void> => {
    while (next < command.count) {
      const i = next++;
      results.push(await signIn(command.appOrigin, `${command.prefix}${i}`, agent));
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, browserLoop));
  const times = results
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const at = (p: number): number => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN);
  const failed = results.filter((r) => !r.ok);
  return {
    ok: results.length - failed.length,
    failed: failed.length,
    crossTalk: failed.filter((r) => r.reason?.startsWith('cross-talk')).length,
    reasons: [...new Set(failed.map((r) => r.reason ?? '?'))].slice(0, 10),
    p50: at(0.5),
    p95: at(0.95),
    max: at(1),
    seconds: (performance.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  const send = (message: DriverMessage): void => {
    process.send!(message);
  };
  // Idle connections outlive the slowest sign-in, so that a reused one is never closed under a request.
  const okta = await HostileOkta.start({ trackSecrets: false, backlog: 4096, keepAliveTimeout: 600_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 4096, maxFreeSockets: 4096 });
  process.on('message', (command: DriverCommand) => {
    void (async () => {
      switch (command.cmd) {
        case 'wave':
          return send({ type: 'wave', report: await wave(command, agent) });
        case 'stats':
          return send({ type: 'stats', hits: { ...okta.hits }, unusedCodes: okta.unusedCodes() });
        case 'forget':
          okta.forgetGrants();
          return send({ type: 'done' });
        case 'exit':
          agent.destroy();
          await okta.close();
          process.disconnect();
          return undefined;
      }
    })();
  });
  send({ type: 'ready', oktaOrigin: okta.origin });
}

void main();
