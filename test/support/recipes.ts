import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { hasRedisServer } from './redis-server.js';

// Running the Redis recipes of the docs (example/recipes/*.ts) as they are, several
// instances each as child processes, and judging how they answer while Redis is away:
// test/e2e/recipes-redis.test.ts (sessions, against the local provider) and
// test/integration/api-recipe-redis.test.ts (an API, against the hostile provider).

const root = join(__dirname, '..', '..');
const tsx = require.resolve('tsx/cli');
/** Longest a request that needs a missing Redis may take to fail. */
export const BOUND_MS = 2000;
/** Longest the instances may take to use Redis again once it is back. */
export const HEAL_MS = 10_000;

export interface Instance {
  name: string;
  origin: string;
  child: ChildProcess;
  output(): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a recipe with tsx, as `npx tsx example/recipes/<file>` would, and resolves once it listens. */
export async function startRecipe(file: string, name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  delete childEnv.NODE_V8_COVERAGE;
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [tsx, join(root, 'example', 'recipes', file)], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000);
    const check = (): void => {
      if (output.includes(`listening on port ${port}`)) {
        clearTimeout(timer);
        child.off('exit', exited);
        resolve();
      }
    };
    const exited = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    };
    child.stdout!.on('data', check);
    child.once('exit', exited);
  });
  return { name, origin: `http://127.0.0.1:${port}`, child, output: () => output };
}

export async function stopRecipe(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}

export function expectAlive(instances: Instance[]): void {
  for (const instance of instances) {
    const { exitCode, signalCode } = instance.child;
    expect({ exitCode, signalCode }, `${instance.name} is still running:\n${instance.output().slice(-2000)}`).to.deep.equal({
      exitCode: null,
      signalCode: null,
    });
  }
}

/** The answer, and how long it took; no answer within 10 s, or a broken connection, counts as status 0. */
export async function timed(
  request: () => Promise<{ status: number; body: string }>,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const hang = new Promise<{ status: number; body: string }>((resolve) =>
    setTimeout(() => resolve({ status: 0, body: 'no answer within 10 s' }), 10_000).unref(),
  );
  const failed = (err: Error) => ({ status: 0, body: `no answer: ${err.message}` });
  const answer = await Promise.race([request().catch(failed), hang]);
  return { status: answer.status, body: answer.body, ms: Math.round(performance.now() - started) };
}

/** A 5xx within BOUND_MS from a running instance. */
export async function expectBounded5xx(
  instance: Instance,
  answer: { status: number; body: string; ms: number },
  what: string,
): Promise<void> {
  if (answer.status === 0) await new Promise((resolve) => setTimeout(resolve, 500)); // did it die?
  expectAlive([instance]);
  expect(answer.status, `${instance.name}, ${what}: ${answer.body.slice(0, 300)}`).to.be.within(500, 599);
  expect(answer.ms, `${instance.name}, ${what}: answered within ${BOUND_MS} ms`).to.be.below(BOUND_MS);
}

/** Calls `attempt` until it resolves true, for at most `ms`; returns how long that took. */
export async function until(attempt: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < ms) {
    try {
      if (await attempt()) return Math.round(performance.now() - started);
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

export function skipWithoutRedis(context: Mocha.Context): void {
  if (hasRedisServer()) return;
  if (process.env.CI) throw new Error("redis-server is missing: CI must install Debian's redis-server (see .ci/run)");
  console.warn('      skipped: redis-server not found (apt-get install redis-server to run this test)');
  context.skip();
}

export function expectBuilt(): void {
  expect(
    existsSync(join(root, 'dist', 'index.cjs')),
    'dist/ is built: the recipes import passport-okta-oidc (npm run build)',
  ).to.equal(true);
}
