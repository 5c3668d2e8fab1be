import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packHead } from '../support/pack.js';

// The package as it is published: a clean clone of the committed HEAD (no dist/ of a
// previous build), packed by `npm pack` (whose prepack builds it), installed from the
// tarball into apps that use it in the ways that broke before it shipped a dual build.
// Uncommitted changes are not in the tarball: commit before reading these results.

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = require.resolve('typescript/bin/tsc');

// The toolchains of a NestJS app's default unit-test setup (TypeScript 5, as Nest scaffolds
// it), pinned: Jest 30, what `nest new` installs now, and Jest 29, what it installed before.
// Their require() fails differently on jose, an ES module (lib/jose-loader.cjs).
const JEST_TOOLCHAINS = [
  {
    title: 'Jest 30',
    packages: ['jest@30.5.2', 'ts-jest@29.4.15', 'typescript@5.9.3', '@types/jest@30.0.0', '@types/node@20.19.43'],
  },
  {
    title: 'Jest 29',
    packages: ['jest@29.7.0', 'ts-jest@29.4.15', 'typescript@5.9.3', '@types/jest@29.5.14', '@types/node@20.19.43'],
  },
];

/** Child processes without c8's coverage collection: npm, tsc and Jest are not lib/. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE;
  return env;
}

async function run(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return exec(file, args, { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
}

/** Runs a command that may fail; its outcome, for assertions that show the output. */
async function attempt(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(file, args, cwd)) };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function npmInstall(cwd: string, specs: string[]): Promise<void> {
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', ...specs], cwd);
}

// A sign-in's ID token check end to end: a key set served on 127.0.0.1, a token signed
// with node:crypto, verified by OktaClient (the package's jose code at run time), and a
// token with a broken signature refused. Written once, run as CommonJS, as an ES module
// and inside Jest; `pkg` is the exports of the package's root and "./client" entry points.
const verifyBody = `
  const { OktaClient, OktaStrategy, errors } = pkg;
  const { OktaError, IdTokenError, ConfigurationError } = errors;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    if (req.url !== '/oauth2/default/v1/keys') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const domain = 'http://127.0.0.1:' + (server.address() as { port: number }).port;
  try {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: domain + '/oauth2/default', aud: 'client-1', sub: 'user-1', iat: now, exp: now + 300, nonce: 'n-1' };
    const input = part({ alg: 'RS256', kid: 'k1', typ: 'JWT' }) + '.' + part(claims);
    const signature = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    const broken = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    const strategy = new OktaStrategy(
      { oktaDomain: domain, authServerId: 'default', clientID: 'client-1', clientSecret: 's', callbackURL: '/cb' },
      async () => false,
    );
    const client = new OktaClient(domain, 'client-1', 's', domain + '/cb', { authServerId: 'default' });
    const verified = await client.verifyIdToken(input + '.' + signature, { nonce: 'n-1' });
    const forged = await client.verifyIdToken(input + '.' + broken).then(
      () => 'accepted',
      (err: unknown) => (err instanceof IdTokenError ? err.claim : String(err)),
    );
    result = {
      name: strategy.name,
      issuer: strategy.client.issuer,
      sub: verified.sub,
      forged,
      errors: new ConfigurationError('x') instanceof OktaError,
    };
  } finally {
    server.close();
  }
`;
// The same body as plain JavaScript for node -e (the type annotations above removed).
const verifyJs = verifyBody
  .replace(/ as \{ port: number \}/, '')
  .replace(/\(value: object\)/, '(value)')
  .replace(/\(err: unknown\)/, '(err)');

// Which jose runs: markJose() makes jose's jwtVerify, in the installed jose and in the
// package's bundled copy (dist/jose.cjs), record each call in globalThis.__joseRuns as
// 'installed' or 'bundled'. The scripts print that record with their result: one entry per
// verifyIdToken above (the valid token and the forged one), from the copy that verified it.
type JoseCopy = 'installed' | 'bundled';

/** Marks the jwtVerify of the jose that `file` holds as `copy`; fails unless exactly one place is marked. */
async function markJose(file: string, copy: JoseCopy): Promise<void> {
  const code = await readFile(file, 'utf8');
  const marked = code.replace(
    /\basync function jwtVerify\(jwt, key, options\) \{/g,
    (head) => `${head} (globalThis.__joseRuns ??= []).push('${copy}');`,
  );
  expect(marked.split('__joseRuns').length - 1, `jwtVerify marked in ${file}`).to.equal(1);
  await writeFile(file, marked);
}

/** Marks the installed jose (the one dist/index.cjs and dist/index.mjs resolve) and the bundled copy in `app`. */
async function markJoseCopies(app: string): Promise<void> {
  const dist = join(app, 'node_modules', 'passport-okta-oidc', 'dist');
  const installedEntry = createRequire(join(dist, 'index.cjs')).resolve('jose');
  await markJose(join(dirname(installedEntry), 'jwt', 'verify.js'), 'installed');
  await markJose(join(dist, 'jose.cjs'), 'bundled');
}

function expectVerified(stdout: string, copy: JoseCopy): void {
  const result = JSON.parse(stdout) as Record<string, unknown>;
  expect(result).to.deep.include({ name: 'okta', sub: 'user-1', forged: 'signature', errors: true });
  expect(result.issuer).to.match(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/default$/);
  expect(result.joseRuns, 'which jose verified the two tokens').to.deep.equal([copy, copy]);
}

const cjsScript = `
  const { createServer } = require('node:http');
  const { generateKeyPairSync, sign } = require('node:crypto');
  const pkg = { ...require('passport-okta-oidc'), ...require('passport-okta-oidc/client') };
  (async () => {
    let result;
    ${verifyJs}
    console.log(JSON.stringify({ ...result, joseRuns: globalThis.__joseRuns }));
  })().catch((err) => { console.error(err); process.exitCode = 1; });
`;

const esmScript = `
  import { createServer } from 'node:http';
  import { generateKeyPairSync, sign } from 'node:crypto';
  import * as root from 'passport-okta-oidc';
  import * as client from 'passport-okta-oidc/client';
  const pkg = { ...root, ...client };
  let result;
  ${verifyJs}
  console.log(JSON.stringify({ ...result, joseRuns: globalThis.__joseRuns }));
`;

// A strict TypeScript consumer of the public types, as CommonJS (.cts) and as an ES
// module (.mts). It names the types that were jose's before (a private JWK, the ID
// token claims, a DPoP key pair) and checks them with skipLibCheck off.
const consumerSource = `
import { webcrypto } from 'node:crypto';
import { errors, OktaStrategy, type IdTokenClaims } from 'passport-okta-oidc';
import { OktaClient, type DPoPKeyPair, type OktaClientOptions, type PrivateJWK } from 'passport-okta-oidc/client';

const jwk: PrivateJWK = { kty: 'RSA', kid: 'app-key-1', alg: 'RS256', n: 'n', e: 'AQAB', d: 'd' };
const options: OktaClientOptions = { authServerId: 'default', tokenEndpointAuthMethod: 'private_key_jwt', privateKey: jwk };

export async function signIn(idToken: string): Promise<string> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const dpop: DPoPKeyPair = pair;
  const client = new OktaClient('acme.okta.com', '0oa1', undefined, 'https://app.example/cb', { ...options, dpop });
  try {
    const claims: IdTokenClaims = await client.verifyIdToken(idToken, { nonce: 'n' });
    const when: number = claims.exp;
    // @ts-expect-error the subject is a string
    const wrong: number = claims.sub;
    return \`\${claims.sub} \${when} \${wrong} \${claims.email ?? ''}\`;
  } catch (err) {
    return err instanceof errors.IdTokenError ? err.claim : 'other';
  }
}

export const strategy = new OktaStrategy(
  { oktaDomain: 'https://acme.okta.com', clientID: '0oa1', clientSecret: 's', callbackURL: '/cb' },
  async (tokens, profile) => ({ id: profile.id, token: tokens.idToken }),
);
`;

function consumerTsconfig(module: 'node16' | 'nodenext'): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module,
      moduleResolution: module,
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    },
    files: ['consumer.cts', 'consumer.mts'],
  });
}

// A NestJS app's default Jest setup (ts-jest, no transformIgnorePatterns): the spec
// requires the package through Jest's own CommonJS module system.
const jestConfig = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: 'src',
  testRegex: '.*\\.spec\\.ts$',
  transform: { '^.+\\.(t|j)s$': 'ts-jest' },
  collectCoverageFrom: ['**/*.(t|j)s'],
  coverageDirectory: '../coverage',
  testEnvironment: 'node',
};
const jestTsconfig = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    resolvePackageJsonExports: true,
    esModuleInterop: true,
    isolatedModules: true,
    declaration: true,
    removeComments: true,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    allowSyntheticDefaultImports: true,
    target: 'ES2023',
    sourceMap: true,
    outDir: './dist',
    incremental: true,
    skipLibCheck: true,
    strictNullChecks: true,
    forceConsistentCasingInFileNames: true,
    noImplicitAny: false,
    types: ['node', 'jest'],
  },
};
const jestSpec = `
import { createServer } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as root from 'passport-okta-oidc';
import * as client from 'passport-okta-oidc/client';

const pkg = { ...root, ...client };

describe('passport-okta-oidc inside Jest', () => {
  it('verifies an ID token against a local key set', async () => {
    let result: Record<string, unknown> = {};
    ${verifyBody}
    expect(result).toMatchObject({ name: 'okta', sub: 'user-1', forged: 'signature', errors: true });
    expect(require.resolve('passport-okta-oidc')).toMatch(/dist[\\\\/]index\\.cjs$/);
    // Jest's require() cannot load an ES module (without --experimental-vm-modules, which a
    // stock setup does not pass): both tokens were verified by the bundled copy of jose.
    expect((globalThis as { __joseRuns?: string[] }).__joseRuns).toEqual(['bundled', 'bundled']);
  });
});
`;

describe('the published package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  before(async function () {
    this.timeout(180_000);
    // A clone of the committed HEAD (no dist/, no ignored files), packed as it is published.
    ({ dir, tarball } = await packHead('okta-pack-'));
    files = (await run('tar', ['-tzf', tarball], dir)).stdout
      .split('\n')
      .filter(Boolean)
      .map((entry) => entry.replace(/^package\//, ''));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('packed from a clean clone, ships both builds of its three entry points, their declarations, the bundled jose and the docs, and nothing else', () => {
    const entries = ['index', 'bearer', 'client'].flatMap((name) =>
      ['cjs', 'd.cts', 'd.mts', 'mjs'].map((extension) => `dist/${name}.${extension}`),
    );
    for (const file of [...entries, 'dist/jose.cjs', 'LICENSE', 'README.md', 'package.json'])
      expect(files, file).to.include(file);
    // Besides those, only the chunks the entry points share: code and declarations, by content hash.
    const others = [...files].filter(
      (file) => !entries.includes(file) && !['dist/jose.cjs', 'LICENSE', 'README.md', 'package.json'].includes(file),
    );
    for (const file of others) expect(file).to.match(/^dist\/[a-z-]+-[\w-]{8}\.(mjs|cjs|d\.mts|d\.cts)$/);
  });

  describe('installed into an app', () => {
    let app: string;

    before(async function () {
      this.timeout(180_000);
      app = join(dir, 'app');
      await mkdir(app);
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
      await npmInstall(app, [tarball]);
      await markJoseCopies(app);
    });

    it('has builds that load jose from dependencies, and a CommonJS copy of the jose code they use', async () => {
      const dist = join(app, 'node_modules', 'passport-okta-oidc', 'dist');
      const build = async (extension: string): Promise<string> => {
        const names = (await readdir(dist)).filter((name) => name.endsWith(extension) && name !== 'jose.cjs');
        return (await Promise.all(names.map((name) => readFile(join(dist, name), 'utf8')))).join('\n');
      };
      const cjs = await build('.cjs');
      const esm = await build('.mjs');
      const copy = await readFile(join(dist, 'jose.cjs'), 'utf8');
      // The CommonJS build holds no jose code: it requires jose, and the copy as the fallback.
      expect(cjs.match(/require\("(jose|\.\/jose\.cjs)"\)/g)).to.deep.equal(['require("jose")', 'require("./jose.cjs")']);
      expect(cjs).to.not.match(/function jwtVerify|class SignJWT/);
      const imported = [...esm.matchAll(/^import \{ ([^}]+) \} from "jose";$/gm)].flatMap((match) => match[1]!.split(', '));
      expect(imported, 'the ES module build imports jose').to.not.deep.equal([]);
      // The copy is what both builds use of jose: the names the ES module build imports.
      const bundled = createRequire(__filename)(join(dist, 'jose.cjs')) as Record<string, unknown>;
      expect(Object.keys(bundled).sort()).to.deep.equal([...new Set(imported)].sort());
      // jose's MIT notice travels with the copy of its code, with the version copied.
      expect(copy).to.match(
        /^\/\*!\n \* This file includes code of jose \d+\.\d+\.\d+ [^\n]*\n[^]*Copyright \(c\) 2018 Filip Skokan/,
      );
      for (const declarations of ['.d.cts', '.d.mts']) {
        expect(await build(declarations), declarations).to.not.match(/["']jose["']/);
      }
    });

    it('loads with require() (the CommonJS build) and verifies an ID token with the installed jose', async () => {
      const { stdout, stderr } = await run(process.execPath, ['-e', cjsScript], app);
      expectVerified(stdout, 'installed');
      expect(stderr).to.equal('');
      const where = await run(process.execPath, ['-p', "require.resolve('passport-okta-oidc')"], app);
      expect(where.stdout.trim()).to.match(/dist\/index\.cjs$/);
    });

    it('loads with require() where require(esm) is off, and verifies an ID token with the bundled copy', async () => {
      const { stdout, stderr } = await run(process.execPath, ['--no-experimental-require-module', '-e', cjsScript], app);
      expectVerified(stdout, 'bundled');
      expect(stderr).to.equal('');
    });

    it('loads with import (the ES module build) and verifies an ID token with the installed jose', async () => {
      const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', esmScript], app);
      expectVerified(stdout, 'installed');
      expect(stderr).to.equal('');
      const where = await run(
        process.execPath,
        ['--input-type=module', '-e', "console.log(import.meta.resolve('passport-okta-oidc'))"],
        app,
      );
      expect(where.stdout.trim()).to.match(/dist\/index\.mjs$/);
    });

    it('imports together with jose in one Promise.all', async () => {
      const script = `
        const [pkg, jose] = await Promise.all([import('passport-okta-oidc'), import('jose')]);
        console.log(JSON.stringify([typeof pkg.OktaStrategy, typeof jose.jwtVerify]));
      `;
      const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], app);
      expect(JSON.parse(stdout)).to.deep.equal(['function', 'function']);
      expect(stderr).to.equal('');
    });

    it('loads in an app run with --experimental-default-type=module', async function () {
      // The flag exists in Node 20.10 to 22; where it is gone, this way of running cannot happen.
      if (!process.allowedNodeEnvironmentFlags.has('--experimental-default-type')) this.skip();
      await writeFile(join(app, 'main.js'), esmScript);
      const result = await attempt(process.execPath, ['--experimental-default-type=module', 'main.js'], app);
      expect(result.code, result.stderr).to.equal(0);
      expectVerified(result.stdout, 'installed');
    });

    for (const module of ['node16', 'nodenext'] as const) {
      it(`type-checks a strict consumer on module ${module} with skipLibCheck off, as CommonJS and as ESM`, async function () {
        this.timeout(60_000);
        const project = join(app, `ts-${module}`);
        await mkdir(project);
        await writeFile(join(project, 'consumer.cts'), consumerSource);
        await writeFile(join(project, 'consumer.mts'), consumerSource);
        await writeFile(join(project, 'tsconfig.json'), consumerTsconfig(module));
        const result = await attempt(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
        expect(result.stdout, 'tsc output').to.equal('');
        expect(result.code).to.equal(0);
      });
    }
  });

  describe('in a NestJS-style Jest setup', () => {
    const jestApps = new Map<string, string>();

    before(async function () {
      this.timeout(300_000);
      // From the npm registry (or npm's cache): CI runs this too, never skipped.
      await Promise.all(
        JEST_TOOLCHAINS.map(async ({ title, packages }, index) => {
          const jestApp = join(dir, `jest-app-${index}`);
          await mkdir(join(jestApp, 'src'), { recursive: true });
          await writeFile(
            join(jestApp, 'package.json'),
            JSON.stringify({ name: 'nest-like-app', private: true, jest: jestConfig }),
          );
          await writeFile(join(jestApp, 'tsconfig.json'), JSON.stringify(jestTsconfig));
          await writeFile(join(jestApp, 'src', 'okta.spec.ts'), jestSpec);
          await npmInstall(jestApp, [...packages, tarball]);
          await markJoseCopies(jestApp);
          jestApps.set(title, jestApp);
        }),
      );
    });

    for (const { title } of JEST_TOOLCHAINS) {
      it(`${title}: requires the CommonJS build without any transform configuration, and verifies with the bundled jose`, async function () {
        this.timeout(120_000);
        const jestApp = jestApps.get(title)!;
        const jest = join(jestApp, 'node_modules', 'jest', 'bin', 'jest.js');
        const result = await attempt(process.execPath, [jest, '--ci', '--runInBand', '--colors=false'], jestApp);
        expect(result.code, result.stderr + result.stdout).to.equal(0);
        expect(result.stderr).to.match(/Tests:\s+1 passed, 1 total/);
      });
    }
  });
});
