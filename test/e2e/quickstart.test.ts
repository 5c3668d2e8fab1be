import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEMO_USERS, type DemoUser } from '../../example/local-okta/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { startOktaLocal, type OktaLocalProcess } from '../support/okta-local-process.js';
import { formAction, isOktaForm, signIn } from '../support/okta-login.js';
import { installedSpec, npm, packHead, run } from '../support/pack.js';
import { snippetsOf } from '../support/snippets.js';

// The newcomer's first five minutes, automated: the package packed from a clean clone of
// HEAD, installed with its peers into an empty folder, the README's quick start copied
// into it exactly as README.md has it, `npm run okta:local` started for its redirect URI,
// the quick start run with only the variables the README names, and a demo user signed in
// over HTTP. Commit before running: the tarball is made from HEAD. Then the mistakes of a
// first hour, each of which the quick start must answer with a page (or a line at start-up)
// that names the cause and the fix.

const root = join(__dirname, '..', '..');
const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the quick start and resolves once it prints "Open http://localhost:PORT/". */
function startApp(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the quick start did not start within 30 s:\n${output}`)), 30_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Open http:\/\/localhost:\d+\//.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the quick start exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    process.kill(-child.pid!, 'SIGTERM');
  });
}

describe("the README's quick start, from the packed package", function () {
  this.timeout(240_000);
  let dir: string;
  let app: string;

  /** The variables the README names, for an app on `port`, with `okta`'s settings changed by `change`. */
  function quickStartEnv(okta: OktaLocalProcess, port: number, change: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...okta.env,
      SESSION_SECRET: 'a-session-secret-for-the-quick-start-test',
      PORT: String(port),
      ...change,
    };
  }

  before(async () => {
    const packed = await packHead('okta-quickstart-');
    dir = packed.dir;
    app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true }));
    // What the README says to install, at the versions this repository tests with.
    const peers = ['passport', 'express', 'express-session', 'tsx'].map(installedSpec);
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', packed.tarball, ...peers], app);
    const [ts, js] = snippetsOf(root, join(root, 'README.md'));
    await writeFile(join(app, 'app.ts'), ts!.code);
    await writeFile(join(app, 'app.js'), js!.code);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const variant of ['app.ts with npx tsx', 'app.js with node'] as const) {
    describe(variant, () => {
      let okta: OktaLocalProcess;
      let child: ChildProcess | undefined;
      let origin: string;

      before(async () => {
        const port = await freePort();
        origin = `http://localhost:${port}`;
        okta = await startOktaLocal(['--port', '0', '--redirect-uri', `${origin}/auth/okta/callback`]);
        // Only the variables the README names, and what any shell has.
        const env = quickStartEnv(okta, port);
        child =
          variant === 'app.ts with npx tsx'
            ? await startApp(npm, ['exec', '--no', '--', 'tsx', 'app.ts'], app, env)
            : await startApp(process.execPath, ['app.js'], app, env);
      });
      after(async () => {
        await stop(child);
        await okta?.stop();
      });

      it('signs a demo user in and shows the user on the page', async () => {
        const browser = new ScriptedBrowser();
        const home = await browser.get(`${origin}/`);
        expect(home.body).to.include('<a href="/login">Sign in with Okta</a>');
        const page = await signIn(browser, `${origin}/login`, alice);
        expect(page.url).to.equal(`${origin}/`);
        expect(page.body).to.include(`Signed in as ${alice.givenName} ${alice.familyName}`);
        const again = await browser.get(`${origin}/`);
        expect(again.body).to.include('Sign out');
      });

      it('signs out at Okta too: the next sign-in asks for the password again', async () => {
        const browser = new ScriptedBrowser();
        await signIn(browser, `${origin}/login`, alice);
        const out = await browser.post(`${origin}/logout`, {});
        expect(out.history.some((url) => url.includes('/v1/logout?'))).to.equal(true);
        expect(out.url).to.equal(`${origin}/`);
        expect(out.body).to.include('<a href="/login">Sign in with Okta</a>');
        expect(isOktaForm(await browser.get(`${origin}/login`)), "Okta's sign-in form, not a silent sign-in").to.equal(true);
      });

      it('shows a failure page, not a loop back to Okta, when the user cancels', async () => {
        const browser = new ScriptedBrowser();
        const form = await browser.get(`${origin}/login`);
        expect(isOktaForm(form)).to.equal(true);
        const page = await browser.post(formAction(form), { deny: '1' });
        expect(page.url).to.equal(`${origin}/login-failed`);
        expect(page.status).to.equal(401);
        expect(page.body).to.include('Sign-in failed');
        expect(page.history.filter((url) => url.includes('/v1/authorize?'))).to.have.length(0);
      });
    });
  }
  describe('the mistakes of a first hour (app.js with node)', () => {
    let okta: OktaLocalProcess;
    let child: ChildProcess | undefined;
    let port: number;
    let origin: string;

    before(async () => {
      port = await freePort();
      origin = `http://localhost:${port}`;
      okta = await startOktaLocal(['--port', '0', '--redirect-uri', `${origin}/auth/okta/callback`]);
    });
    afterEach(async () => {
      await stop(child);
      child = undefined;
    });
    after(async () => {
      await okta?.stop();
    });

    it('a wrong client secret: a page naming clientID/clientSecret (OKTA_CLIENT_SECRET), not a stack', async () => {
      child = await startApp(
        process.execPath,
        ['app.js'],
        app,
        quickStartEnv(okta, port, { OKTA_CLIENT_SECRET: 'a-wrong-secret' }),
      );
      const page = await signIn(new ScriptedBrowser(), `${origin}/login`, alice);
      expect(page.status).to.equal(500);
      expect(page.body).to.match(/^Okta refused the client credentials: check clientID\/clientSecret \(OKTA_CLIENT_SECRET\)/);
      expect(page.body).to.not.match(/\n\s+at /);
      expect(page.body).to.not.include('a-wrong-secret');
    });

    it('a wrong OKTA_AUTH_SERVER_ID: check() stops the app at start-up, naming authServerId', async () => {
      const env = quickStartEnv(okta, port, { OKTA_AUTH_SERVER_ID: 'defualt' });
      const failure = await startApp(process.execPath, ['app.js'], app, env).then(
        (started) => ((child = started), expect.fail('the app started')),
        (err: Error) => err.message,
      );
      expect(failure).to.match(/^the quick start exited with 1:/);
      expect(failure).to.include('it has no authorization server "defualt". Check authServerId');
      expect(failure).to.not.match(/\n\s+at /);
    });

    it('opened on 127.0.0.1 while its callback is on localhost: a failure page naming both hosts', async () => {
      child = await startApp(process.execPath, ['app.js'], app, quickStartEnv(okta, port));
      const page = await signIn(new ScriptedBrowser(), `http://127.0.0.1:${port}/login`, alice);
      expect(page.url).to.equal(`${origin}/login-failed`);
      expect(page.body).to.include(
        `Sign-in failed: This sign-in was started on 127.0.0.1:${port}, but Okta sent the browser back to localhost:${port}`,
      );
      expect(page.body).to.include(`Open the app at localhost:${port}`);
    });
  });
});
