import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { formAction, isOktaForm, signIn } from '../support/okta-login.js';

// Each framework the package says it works with, as a tiny app in test/frameworks/<app>
// (its versions pinned in its package.json), installed from the npm registry (or npm's
// cache) with the package packed from this working tree (`npm pack`, whose prepack
// builds dist/), run as a child process on 127.0.0.1, and driven over real HTTP through
// a sign-in at the local Okta-like provider and a sign-out. Under CI=true nothing here
// is skipped; elsewhere the suite skips (saying why) only when the registry cannot be reached.

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
const apps = __dirname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_V8_COVERAGE;
  delete env.NODE_OPTIONS;
  return env;
}

async function run(file: string, args: string[], cwd: string): Promise<string> {
  return (await exec(file, args, { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 })).stdout;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Row {
  /** Shown in the test names. */
  title: string;
  /** Folder under test/frameworks. */
  app: string;
  /** How to start it, from the installed copy. */
  command: string[];
  env?: Record<string, string>;
  /** What the app must print while it runs (e.g. which build of the package it loaded). */
  output?: RegExp;
}

const ALL_ROWS: Row[] = [
  {
    title: 'Fastify 5 + @fastify/passport + @fastify/session',
    app: 'fastify',
    command: ['server.cjs'],
    env: { SESSION: 'server' },
  },
  {
    title: 'Fastify 5 + @fastify/passport + @fastify/secure-session',
    app: 'fastify',
    command: ['server.cjs'],
    env: { SESSION: 'secure' },
  },
  {
    title: 'Fastify 5 + @fastify/passport + @fastify/secure-session + CookieStateStore (no hook)',
    app: 'fastify',
    command: ['server.cjs'],
    env: { SESSION: 'secure', STORE: 'cookie' },
  },
  {
    title: 'Fastify 5 + @fastify/passport + @fastify/session + CookieStateStore (reply linked by an onRequest hook)',
    app: 'fastify',
    command: ['server.cjs'],
    env: { SESSION: 'server', STORE: 'cookie', LINK_REPLY: '1' },
  },
  { title: 'Koa 3 + koa-passport + CookieStateStore', app: 'koa', command: ['server.cjs'] },
  { title: 'Express 4 + passport 0.5', app: 'express4', command: ['server.cjs'] },
  { title: 'Express 5 + passport 0.7 (ES module import)', app: 'express5', command: ['server.mjs'] },
  { title: 'NestJS 11 + @nestjs/passport (CommonJS build)', app: 'nestjs', command: ['dist/main.js'] },
  {
    title: 'NestJS 11 + @nestjs/passport (ES module build, "type": "module")',
    app: 'nestjs-esm',
    command: ['dist/main.js'],
    output: /passport-okta-oidc from file:\S+\/dist\/index\.mjs/,
  },
];

/** Apps compiled with TypeScript after their install, and the tsconfig each is built with. */
const BUILDS: Record<string, string> = { nestjs: 'tsconfig.build.json', 'nestjs-esm': 'tsconfig.json' };

// FRAMEWORK_APPS=fastify,koa runs only those apps' rows (while working on one); never under CI.
const only = process.env.CI === 'true' ? undefined : process.env.FRAMEWORK_APPS?.split(',');
const ROWS = only ? ALL_ROWS.filter((row) => only.includes(row.app)) : ALL_ROWS;

interface Running {
  child: ChildProcess;
  origin: string;
  output: () => string;
}

async function startApp(dir: string, row: Row, port: number, okta: LocalOkta): Promise<Running> {
  const child = spawn(process.execPath, row.command, {
    cwd: dir,
    env: childEnv({
      ...row.env,
      PORT: String(port),
      OKTA_DOMAIN: okta.origin,
      OKTA_CLIENT_ID: 'framework-app',
      OKTA_CLIENT_SECRET: CLIENT_SECRET,
      SESSION_SECRET: randomBytes(24).toString('base64url'),
      STATE_SECRET: randomBytes(24).toString('base64url'),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${row.title} did not start:\n${output}`)), 30_000);
    const check = (): void => {
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${row.title} exited with ${code}:\n${output}`));
    });
  });
  return { child, origin: `http://127.0.0.1:${port}`, output: () => output };
}

async function stopApp(app: Running | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGTERM');
  await exited;
}

const CLIENT_SECRET = randomBytes(24).toString('base64url');

async function registryReachable(): Promise<boolean> {
  try {
    await exec(npm, ['ping'], { env: childEnv(), timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

describe('framework apps, installed from the packed package and signed in over HTTP', function () {
  let dir: string | undefined;
  let okta: LocalOkta | undefined;
  const ports = new Map<Row, number>();
  const installed = new Map<string, string>();
  let jestPort = 0;

  before(async function () {
    this.timeout(600_000);
    if (process.env.CI !== 'true' && !(await registryReachable())) {
      console.log('    (skipped: the npm registry cannot be reached, so the framework apps cannot be installed)');
      this.skip();
    }
    dir = await mkdtemp(join(tmpdir(), 'okta-frameworks-'));
    const packs = join(dir, 'packs');
    await mkdir(packs);
    await run(npm, ['pack', '--silent', '--pack-destination', packs], root);
    const [name] = await readdir(packs);
    const tarball = join(packs, name!);
    // One install per app folder, all at once (npm shares its cache).
    await Promise.all(
      [...new Set(ROWS.map((row) => row.app))].map(async (app) => {
        const copy = join(dir!, app);
        await cp(join(apps, app), copy, { recursive: true });
        await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', tarball], copy);
        const build = BUILDS[app];
        if (build) await run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', build], copy);
        installed.set(app, copy);
      }),
    );
    for (const row of ROWS) ports.set(row, await freePort());
    jestPort = await freePort();
    const origins = [...ports.values(), jestPort].map((port) => `http://127.0.0.1:${port}`);
    okta = await startLocalOkta({
      clients: [
        {
          clientId: 'framework-app',
          clientSecret: CLIENT_SECRET,
          redirectUris: origins.map((origin) => `${origin}/callback`),
          postLogoutRedirectUris: origins.map((origin) => `${origin}/signed-out`),
        },
      ],
    });
  });
  after(async () => {
    await okta?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    describe(row.title, () => {
      let app: Running | undefined;
      before(async function () {
        this.timeout(60_000);
        app = await startApp(installed.get(row.app)!, row, ports.get(row)!, okta!);
      });
      after(() => stopApp(app));

      it('signs in, signs in again in the same session, and signs out for real', async function () {
        this.timeout(60_000);
        const { origin } = app!;
        const browser = new ScriptedBrowser();
        const me = async (): Promise<unknown> => {
          const page = await browser.get(`${origin}/me`);
          expect(page.status, page.body + app!.output()).to.equal(200);
          return (JSON.parse(page.body) as { user: unknown }).user;
        };
        expect(await me()).to.equal(null);
        if (row.output) expect(app!.output()).to.match(row.output);

        const first = await signIn(browser, `${origin}/login`, alice);
        expect(first.url, first.body + app!.output()).to.equal(`${origin}/me`);
        expect(await me()).to.equal(alice.sub);

        // A second sign-in in the same session: Okta's session sends the browser straight back.
        const second = await browser.get(`${origin}/login`);
        expect(second.url, second.body + app!.output()).to.equal(`${origin}/me`);
        expect(await me()).to.equal(alice.sub);

        const out = await browser.post(`${origin}/logout`, {});
        expect(
          out.history.some((url) => url.startsWith(okta!.origin)),
          out.history.join('\n'),
        ).to.equal(true);
        expect(out.url, out.body + app!.output()).to.equal(`${origin}/me`);
        expect(await me()).to.equal(null);
        // Signed out at Okta too: the next sign-in shows Okta's form again.
        const again = await browser.get(`${origin}/login`);
        expect(new URL(again.url).origin).to.equal(okta!.origin);
      });

      it('guards routes with oktaSession: 401 JSON, a navigation signed in and back to its page, 403 without a loop', async function () {
        this.timeout(60_000);
        const { origin } = app!;
        const browser = new ScriptedBrowser();
        const script = { accept: 'application/json', 'sec-fetch-mode': 'cors' };

        // A script's request: 401 with JSON, never a redirect.
        const anonymous = await browser.request(`${origin}/reports`, { method: 'GET', headers: script });
        expect(anonymous.status, anonymous.body + app!.output()).to.equal(401);
        expect(anonymous.headers.get('location')).to.equal(null);
        expect(anonymous.headers.get('content-type')).to.match(/^application\/json/);
        expect(JSON.parse(anonymous.body)).to.deep.include({ error: 'sign_in_required' });

        // A navigation: sent to Okta with the guard's cookie (a sign-in started here) next to those
        // of the framework and the state store, then Okta's form, then back on the page asked for.
        const start = await browser.request(`${origin}/reports?quarter=3`, { method: 'GET' });
        expect(start.status, start.body + app!.output()).to.equal(302);
        const authorize = new URL(start.headers.get('location')!, start.url);
        expect(authorize.origin).to.equal(okta!.origin);
        expect(start.headers.getSetCookie().map((cookie) => cookie.split('=')[0])).to.include('okta_silent');
        const form = await browser.get(authorize.href);
        expect(isOktaForm(form), form.url + form.body).to.equal(true);
        const reports = await browser.post(formAction(form), { username: alice.username, password: alice.password });
        expect(reports.url, reports.body + app!.output()).to.equal(`${origin}/reports?quarter=3`);
        expect(JSON.parse(reports.body)).to.deep.equal({ page: 'reports', user: alice.sub });

        // Not in Staff: 403 in one request, and again (no sign-in, no loop); the sign-in record was kept.
        for (let visit = 0; visit < 2; visit++) {
          const staff = await browser.get(`${origin}/staff`);
          expect(staff.status, staff.body + app!.output()).to.equal(403);
          expect(staff.history).to.deep.equal([`${origin}/staff`]);
          expect(staff.body).to.contain('not in a group');
        }
        const staff = await browser.request(`${origin}/staff`, { method: 'GET', headers: script });
        expect([staff.status, (JSON.parse(staff.body) as { error: unknown }).error]).to.deep.equal([403, 'missing_group']);
        expect(JSON.parse((await browser.get(`${origin}/me`)).body)).to.deep.equal({ user: alice.sub });
      });
    });
  }

  // The NestJS app's own e2e test, under Jest with the configuration `nest new` generates
  // (ts-jest, no transformIgnorePatterns, no ESM flags): the package's CommonJS build must
  // load in Jest's module system as it is.
  if (ROWS.some((row) => row.app === 'nestjs')) {
    describe('NestJS 11 e2e test under Jest (stock nest new configuration)', () => {
      it('passes: signs in at the local provider over HTTP, reaches the guarded routes, and is refused where it should be', async function () {
        this.timeout(180_000);
        const env = childEnv({
          PORT: String(jestPort),
          OKTA_DOMAIN: okta!.origin,
          OKTA_CLIENT_ID: 'framework-app',
          OKTA_CLIENT_SECRET: CLIENT_SECRET,
          SESSION_SECRET: randomBytes(24).toString('base64url'),
          OKTA_USERNAME: alice.username,
          OKTA_PASSWORD: alice.password,
          OKTA_USER_SUB: alice.sub,
        });
        let code = 0;
        let output: string;
        try {
          const result = await exec(npx, ['jest', '--config', './test/jest-e2e.json'], {
            cwd: installed.get('nestjs')!,
            env,
            maxBuffer: 16 * 1024 * 1024,
          });
          output = result.stdout + result.stderr;
        } catch (err) {
          const failed = err as { code?: number; stdout?: string; stderr?: string };
          code = typeof failed.code === 'number' ? failed.code : 1;
          output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
        }
        expect(code, output).to.equal(0);
        expect(output).to.match(/Tests:\s+2 passed, 2 total/);
      });
    });
  }
});
