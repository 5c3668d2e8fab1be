import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { documentationFiles, snippetsOf, type Snippet } from '../support/snippets.js';

// Every ts/js code block of README.md, CONTRIBUTING.md and docs/ (docs/api/ is generated)
// compiles in strict TypeScript against the built package: `passport-okta-oidc` resolves
// to dist/ through package.json "exports" (a package may import itself by name), the same
// declarations users get. A ts block is an ES-syntax module compiled as CommonJS, as in
// a folder without "type": "module"; a js block is CommonJS that must parse, resolve its
// requires, and take only names the package exports.
//
// A block marked `app` (```ts app) claims to be a complete app: it is also run as it is, with
// tsx, against the local provider. Its contract: it reads OKTA_DOMAIN, OKTA_AUTH_SERVER_ID,
// OKTA_CLIENT_ID, OKTA_CLIENT_SECRET, SESSION_SECRET and PORT, prints `Open <url>` once it
// is ready, and a demo user who signs in through `/login` lands on a page saying "Signed in".

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const out = join(root, 'test-output', 'snippets');
const compilerOptions = {
  target: 'es2022',
  lib: ['es2023', 'dom'],
  module: 'nodenext',
  moduleResolution: 'nodenext',
  strict: true,
  noImplicitReturns: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

describe('the documentation', () => {
  it('README.md stays within 10 KB', () => {
    expect(statSync(join(root, 'README.md')).size).to.be.at.most(10 * 1024);
  });

  it('has the quick start in README.md as a TypeScript block and its CommonJS twin', () => {
    const langs = snippetsOf(root, join(root, 'README.md')).map((snippet) => snippet.lang);
    expect(langs).to.deep.equal(['ts', 'js']);
  });

  it('quotes the framework apps that the framework suite runs, word for word', () => {
    const quotes = documentationFiles(root).flatMap((file) => snippetsOf(root, file).filter((s) => s.file !== undefined));
    expect(quotes.length, 'docs/frameworks.md quotes the apps of test/frameworks/').to.be.at.least(3);
    for (const quote of quotes) {
      const source = readFileSync(join(root, quote.file!), 'utf8').trimEnd();
      expect(quote.code.trimEnd(), `${quote.origin} quotes ${quote.file}`).to.equal(source);
    }
  });

  it('quotes every source file of the NestJS app, main.ts and app.module.ts included', () => {
    const quoted = snippetsOf(root, join(root, 'docs', 'frameworks.md')).map((snippet) => snippet.file);
    const sources = readdirSync(join(root, 'test', 'frameworks', 'nestjs', 'src'))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
      .map((name) => `test/frameworks/nestjs/src/${name}`);
    expect(sources).to.include.members(['test/frameworks/nestjs/src/main.ts', 'test/frameworks/nestjs/src/app.module.ts']);
    expect(quoted).to.include.members(sources);
  });

  it('gives the sizes of the built files as they are (docs/performance.md), within 10 %', () => {
    expect(existsSync(join(root, 'dist', 'index.mjs')), 'dist/ is built (npm test builds first)').to.equal(true);
    const text = readFileSync(join(root, 'docs', 'performance.md'), 'utf8');
    const dist = (name: string) => readFileSync(join(root, 'dist', name));
    const build = (extension: string): Buffer[] =>
      readdirSync(join(root, 'dist'))
        .filter((name) => name.endsWith(extension) && name !== 'jose.cjs')
        .map(dist);
    const total = (files: Buffer[]): number => files.reduce((sum, file) => sum + file.length, 0);
    const claims: Array<[string, RegExp, number]> = [
      ['dist/*.mjs', /`dist\/\*\.mjs`, (\d+) kB/, total(build('.mjs'))],
      [
        'dist/*.mjs gzipped',
        /`dist\/\*\.mjs`, \d+ kB for all three, (\d+) kB gzipped/,
        total(build('.mjs').map((f) => gzipSync(f))),
      ],
      ['dist/*.cjs', /`dist\/\*\.cjs` but `jose\.cjs`, (\d+) kB/, total(build('.cjs'))],
      ['dist/jose.cjs', /`jose` code it uses \((\d+) kB/, dist('jose.cjs').length],
      ['dist/jose.cjs gzipped', /`jose` code it uses \(\d+ kB, (\d+) kB gzipped\)/, gzipSync(dist('jose.cjs')).length],
    ];
    for (const [name, claim, bytes] of claims) {
      const said = claim.exec(text)?.[1];
      expect(said, `docs/performance.md states the size of ${name}`).to.be.a('string');
      const kB = bytes / 1000;
      expect(Number(said), `${name} is ${kB.toFixed(1)} kB: update docs/performance.md`).to.be.within(kB * 0.9, kB * 1.1);
    }
  });

  describe('apps the docs present as complete (```ts app), run as pasted', function () {
    this.timeout(120_000);
    const apps = documentationFiles(root).flatMap((file) => snippetsOf(root, file).filter((snippet) => snippet.app === true));
    const dir = join(root, 'test-output', 'snippet-apps');
    let okta: LocalOkta | undefined;
    let child: ChildProcess | undefined;

    before(async () => {
      expect(existsSync(join(root, 'dist', 'index.d.cts')), 'dist/ is built (npm test builds first)').to.equal(true);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    });
    afterEach(async () => {
      await stopApp(child);
      child = undefined;
      await okta?.close();
      okta = undefined;
    });

    it('include the Express recipe of docs/frameworks.md', () => {
      expect(apps.map((app) => app.origin.split(':')[0])).to.include('docs/frameworks.md');
    });

    for (const snippet of apps) {
      it(`${snippet.origin} starts, says where it is, and signs a demo user in`, async () => {
        const port = await freePort();
        const redirectUris = [`http://localhost:${port}/auth/okta/callback`];
        okta = await startLocalOkta({ clients: [{ clientId: 'docs-app', clientSecret: 'docs-app-secret', redirectUris }] });
        const file = join(dir, `${snippet.origin.replace(/[/:.]/g, '_')}.${snippet.lang === 'ts' ? 'ts' : 'cjs'}`);
        await writeFile(file, `${snippet.code}\n`);
        const started = await startApp(file, {
          OKTA_DOMAIN: okta.origin,
          OKTA_AUTH_SERVER_ID: 'default',
          OKTA_CLIENT_ID: 'docs-app',
          OKTA_CLIENT_SECRET: 'docs-app-secret',
          SESSION_SECRET: 'a-session-secret-for-the-docs-apps',
          PORT: String(port),
        });
        child = started.child;
        expect(started.url).to.equal(`http://localhost:${port}/`);
        const page = await signIn(new ScriptedBrowser(), `${started.url}login`, alice);
        expect(page.status, page.body).to.equal(200);
        expect(page.url.startsWith(started.url), page.url).to.equal(true);
        expect(page.body).to.include('Signed in');
      });
    }
  });

  it('compiles every ts and js code block in strict TypeScript against the built package', async function () {
    this.timeout(120_000);
    expect(existsSync(join(root, 'dist', 'index.d.cts')), 'dist/ is built (npm test builds first)').to.equal(true);
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    const files: string[] = [];
    const sources = new Map<string, Snippet>();
    for (const file of documentationFiles(root)) {
      for (const snippet of snippetsOf(root, file)) {
        if (snippet.file !== undefined) continue; // compared with the file it quotes, below
        const name = `${snippet.origin.replace(/[/:.]/g, '_')}.${snippet.lang === 'ts' ? 'ts' : 'cjs'}`;
        await writeFile(join(out, name), `${snippet.code}\n`);
        files.push(name);
        sources.set(name, snippet);
      }
    }
    // A block that augments global or module types (declare global, declare module) is
    // compiled alone, so that its declarations cannot make another block compile.
    const tsFiles = files.filter((name) => name.endsWith('.ts'));
    const augments = (name: string) => /^declare (global|module)\b/m.test(sources.get(name)!.code);
    const programs = [tsFiles.filter((name) => !augments(name)), ...tsFiles.filter(augments).map((name) => [name])];
    let output = '';
    for (const [index, program] of programs.entries()) {
      if (program.length === 0) continue;
      const project = join(out, `tsconfig.${index}.json`);
      await writeFile(project, JSON.stringify({ compilerOptions, files: program }));
      const tsc = [require.resolve('typescript/bin/tsc'), '-p', project];
      const result = await exec(process.execPath, tsc, { cwd: out }).catch((err: { stdout: string }) => err);
      output += result.stdout;
    }
    // JavaScript has no types to check; each block must parse as CommonJS, every module it
    // requires must resolve, and every name it takes from the package must be exported.
    const requireHere = createRequire(join(out, 'index.cjs'));
    const exported = Object.keys(requireHere('passport-okta-oidc') as object);
    for (const name of files.filter((file) => file.endsWith('.cjs'))) {
      const syntax = await exec(process.execPath, ['--check', join(out, name)]).catch((err: { stderr: string }) => err);
      if (syntax.stderr) output += `${name}(1,1): ${syntax.stderr}\n`;
      const code = sources.get(name)!.code;
      for (const match of code.matchAll(/require\((['"])([^'"]+)\1\)/g)) {
        try {
          requireHere.resolve(match[2]!);
        } catch {
          output += `${name}(${lineOf(code, match.index)},1): cannot resolve ${match[2]}\n`;
        }
      }
      for (const match of code.matchAll(/const \{([^}]+)\} = require\('passport-okta-oidc'\)/g)) {
        for (const imported of match[1]!.split(',').map((part) => part.split(':')[0]!.trim())) {
          if (!exported.includes(imported)) output += `${name}(${lineOf(code, match.index)},1): not exported: ${imported}\n`;
        }
      }
    }
    // Errors pointed at the Markdown line they come from.
    const errors = output.replace(/^([^\s(]+)\((\d+),(\d+)\)/gm, (all, name: string, line: string) => {
      const snippet = sources.get(name);
      return snippet ? `${snippet.lines[Number(line) - 1] ?? snippet.origin} (${name})` : all;
    });
    expect(errors, 'tsc output').to.equal('');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a snippet with tsx (in its own process group) and resolves with the URL it prints once ready. */
function startApp(file: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), file], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not say where it is within 30 s:\n${output}`)), 30_000);
    const exited = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${output}`));
    };
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^Open (http\S+)$/m.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.off('exit', exited);
      resolve({ child, url });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', exited);
  });
}

function stopApp(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(-child.pid!, 'SIGTERM');
  });
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
