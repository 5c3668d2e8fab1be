import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// The layer rules of ARCHITECTURE.md, as `npm run lint` enforces them: eslint.config.mjs
// (no-restricted-imports, generated from its table of layers) and .dependency-cruiser.cjs (no
// import circles). The table below is the specification, written apart from the config on
// purpose: changing a rule in the config alone makes this file fail.

const root = path.join(__dirname, '..', '..');

const MAY_IMPORT: Record<string, string[]> = {
  core: ['core'],
  passport: ['core', 'passport'],
  client: ['core', 'client'],
  'sign-in': ['core', 'passport', 'client', 'sign-in'],
  bearer: ['core', 'passport', 'bearer'],
  app: ['core', 'passport', 'client', 'sign-in', 'bearer', 'app'],
};
const LAYERS = Object.keys(MAY_IMPORT);

// The project's config as it is, without the type-aware rules: those need files the
// TypeScript project knows, and the layer rules read only the import declarations. No file is
// written: ESLint is handed the text and the path it pretends to have.
const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

interface Finding {
  rule: string | null;
  message: string;
}

async function lint(file: string, code: string): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  expect(result, file).to.not.equal(undefined);
  // Only the architecture rules: a probe's unused import is none of this test's business.
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax' || m.fatal)
    .map((m) => ({ rule: m.ruleId, message: m.message }));
}

describe('the layers of lib/ (ARCHITECTURE.md), as npm run lint enforces them', function () {
  this.timeout(120_000);

  for (const layer of LAYERS) {
    it(`lib/${layer}/ may import ${MAY_IMPORT[layer]!.join(', ')} and nothing else of lib/`, async () => {
      for (const target of LAYERS) {
        const allowed = MAY_IMPORT[layer]!.includes(target);
        for (const [file, specifier] of [
          [`lib/${layer}/probe.ts`, `../${target}/x.js`],
          // A file one folder deeper, and a type-only import: both count.
          [`lib/${layer}/sub/probe.ts`, `../../${target}/x.js`],
        ] as const) {
          const found = await lint(file, `import type { X } from '${specifier}';\nexport type Y = X;\n`);
          if (allowed) {
            expect(found, `${file} importing ${specifier}`).to.deep.equal([]);
          } else {
            expect(found, `${file} importing ${specifier}`).to.have.length(1);
            expect(found[0]!.rule).to.equal('no-restricted-imports');
            expect(found[0]!.message).to.include(`lib/${layer}/ may import`).and.include(`not ${target}/`);
          }
        }
      }
    });
  }

  it('catches re-exports, side-effect imports and extensionless paths too', async () => {
    const found = await lint(
      'lib/client/probe.ts',
      "export { OktaStrategy } from '../sign-in/strategy.js';\nexport * from '../bearer/errors.js';\nimport '../app/logout';\n",
    );
    expect(found.map((f) => f.message)).to.have.length(3);
    expect(found.every((f) => f.rule === 'no-restricted-imports')).to.equal(true);
  });

  it('refuses a core file that imports the sign-in strategy (the circle issue 20 removed)', async () => {
    const found = await lint('lib/core/options.ts', "import type { OktaStrategyOptions } from '../sign-in/strategy.js';\n");
    expect(found).to.deep.equal([
      {
        rule: 'no-restricted-imports',
        message:
          "'../sign-in/strategy.js' import is restricted from being used by a pattern. " +
          'lib/core/ may import core/ only, not sign-in/ (ARCHITECTURE.md).',
      },
    ]);
  });

  it('lets no layer import an entry point of lib/', async () => {
    for (const layer of LAYERS) {
      for (const [file, specifier] of [
        [`lib/${layer}/probe.ts`, '../index.js'],
        [`lib/${layer}/probe.ts`, '../bearer.js'],
        [`lib/${layer}/probe.ts`, '../client.js'],
        [`lib/${layer}/probe.ts`, '..'],
        [`lib/${layer}/sub/probe.ts`, '../../client.js'],
      ] as const) {
        const found = await lint(file, `import { x } from '${specifier}';\nexport const y = x;\n`);
        expect(found, `${file} importing ${specifier}`).to.have.length(1);
        expect(found[0]!.message).to.include(`lib/${layer}/ must not import an entry point`);
      }
    }
  });

  it('lets the entry points import every layer', async () => {
    for (const entry of ['index', 'bearer', 'client']) {
      const code = LAYERS.map((layer) => `export * from './${layer}/x.js';\n`).join('');
      expect(await lint(`lib/${entry}.ts`, code), entry).to.deep.equal([]);
    }
  });

  it('allows imports within a layer, from a sub-folder and back', async () => {
    expect(await lint('lib/sign-in/state/probe.ts', "import { x } from '../strategy.js';\nexport const y = x;\n")).to.deep.equal(
      [],
    );
    expect(await lint('lib/sign-in/probe.ts', "import { x } from './state/store.js';\nexport const y = x;\n")).to.deep.equal([]);
    // A file whose name starts like a layer's is not that layer.
    expect(await lint('lib/core/probe.ts', "import { x } from './client-auth.js';\nexport const y = x;\n")).to.deep.equal([]);
  });

  it('refuses the import forms the rule cannot read: import() types and dynamic imports', async () => {
    const found = await lint(
      'lib/core/probe.ts',
      "export type X = import('../sign-in/strategy.js').OktaStrategyOptions;\nexport const load = () => import('./keys.js');\n",
    );
    expect(found.map((f) => f.rule)).to.deep.equal(['no-restricted-syntax', 'no-restricted-syntax']);
  });

  it('is the table of ARCHITECTURE.md', () => {
    const markdown = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    const rows = [...markdown.matchAll(/^\| `([a-z-]+)\/` +\| ([a-z, -]+?) +\|$/gm)].map(([, layer, mayImport]) => [
      layer,
      mayImport!.split(', '),
    ]);
    expect(Object.fromEntries(rows)).to.deep.equal(MAY_IMPORT);
  });

  it('holds for the real lib/: no layer imports what it may not', async () => {
    const results = await eslint.lintFiles(['lib']);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
        .map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`),
    );
    expect(results.length).to.be.greaterThan(30);
    expect(broken).to.deep.equal([]);
  });
});

describe('import circles, as npm run lint refuses them (dependency-cruiser)', function () {
  this.timeout(120_000);

  const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const cruise = (...targets: string[]) =>
    spawnSync(process.execPath, [depcruise, ...targets, '--config', '.dependency-cruiser.cjs'], { cwd: root, encoding: 'utf8' });

  it('is part of npm run lint, over lib/ and bench/', () => {
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts.lint).to.match(/^eslint \. && npm run lint:cycles && /);
    expect(scripts['lint:cycles']).to.equal('depcruise lib bench --config .dependency-cruiser.cjs');
  });

  it('fails on a circle of values, of types and of import() types', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'okta-arch-'));
    try {
      const files: Record<string, string> = {
        'values-a.ts': "import { b } from './values-b.js';\nexport const a = () => b;\n",
        'values-b.ts': "import { a } from './values-a.js';\nexport const b = () => a;\n",
        'types-a.ts': "import type { B } from './types-b.js';\nexport interface A { b: B }\n",
        'types-b.ts': "import type { A } from './types-a.js';\nexport interface B { a?: A }\n",
        'inline-a.ts': "export type A = import('./inline-b.js').B[];\n",
        'inline-b.ts': "export type B = import('./inline-a.js').A | 1;\n",
        'leaf.ts': "import { a } from './values-a.js';\nexport const leaf = a;\n",
      };
      for (const [name, code] of Object.entries(files)) writeFileSync(path.join(dir, name), code);
      const result = cruise(dir);
      expect(result.status, result.stderr).to.not.equal(0);
      const circles = result.stdout.split('error no-circular:').slice(1);
      expect(circles, result.stdout).to.have.length(3);
      for (const kind of ['values', 'types', 'inline']) {
        expect(
          circles.some((c) => c.includes(`${kind}-a.ts`) && c.includes(`${kind}-b.ts`)),
          `${kind} circle in ${result.stdout}`,
        ).to.equal(true);
      }
      expect(result.stdout).to.not.match(/no-circular: [^\n]*leaf\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds no circle in lib/ and bench/', () => {
    const result = cruise('lib', 'bench');
    expect(result.stdout + result.stderr).to.include('no dependency violations found');
    expect(result.status).to.equal(0);
  });
});
