import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** `npm run okta:local` running in a child process, and what it printed. */
export interface OktaLocalProcess {
  /** The variables it says to export: OKTA_DOMAIN, OKTA_AUTH_SERVER_ID, OKTA_CLIENT_ID, OKTA_CLIENT_SECRET. */
  env: Record<string, string>;
  /** Everything printed on stdout so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Child processes without c8's coverage collection. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_V8_COVERAGE;
  return env;
}

/**
 * Runs `npm run okta:local -- ...args` from the repository (its own process group, so that
 * stop() ends npm, the shell and tsx together) and resolves once it has printed the
 * variables to export.
 */
export function startOktaLocal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<OktaLocalProcess> {
  const child = spawn(npm, ['run', '--silent', 'okta:local', '--', ...args], {
    cwd: root,
    env: childEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = () => stopGroup(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`okta:local printed no settings within 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    const check = () => {
      const env: Record<string, string> = {};
      for (const match of stdout.matchAll(/^\s*export (OKTA_[A-Z_]+)=(\S+)$/gm)) env[match[1]!] = match[2]!;
      if (env.OKTA_CLIENT_SECRET === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve({ env, output: () => stdout, stop });
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`okta:local exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}
