// Two builds of lib/index.ts, each with its bundled declarations (tsconfig.build.json):
// - dist/index.mjs for `import`: an ES module that imports jose, cookie and passport-strategy;
// - dist/index.cjs for `require`: CommonJS that loads jose through lib/core/jose-loader.cjs: the
//   installed jose (require(esm), Node >= 20.19), or, where require() cannot load an ES module
//   (Jest's module system), dist/jose.cjs: a CommonJS copy of the part of jose lib/ uses.
// cookie and passport-strategy are CommonJS packages: both builds load them from dependencies.
/* global URL */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsdown';
import ts from 'typescript';

const lib = fileURLToPath(new URL('lib/', import.meta.url));
const loader = join(lib, 'core', 'jose-loader.cjs');

// jose is MIT-licensed: dist/jose.cjs, a copy of its code, carries its notice too, with the
// version it was built from (scripts/check-bundled-jose.mjs keeps it the newest in range).
const josePackage = createRequire(import.meta.url).resolve('jose/package.json');
const { version: joseVersion } = JSON.parse(readFileSync(josePackage, 'utf8'));
const joseLicense = readFileSync(join(dirname(josePackage), 'LICENSE.md'), 'utf8').trim();
const joseNotice = [
  '/*!',
  ` * This file includes code of jose ${joseVersion} (https://github.com/panva/jose), under its license:`,
  ' *',
  ...joseLicense.split('\n').map((line) => ` * ${line}`.trimEnd()),
  ' */',
].join('\n');

/** The values lib/ imports from jose by name (types left out): what dist/jose.cjs exports. */
function joseImports() {
  const names = new Set();
  for (const file of readdirSync(lib, { recursive: true })) {
    if (!file.endsWith('.ts')) continue;
    const source = ts.createSourceFile(file, readFileSync(join(lib, file), 'utf8'), ts.ScriptTarget.Latest);
    for (const node of source.statements) {
      if (!ts.isImportDeclaration(node) || node.moduleSpecifier.text !== 'jose' || node.importClause?.isTypeOnly) continue;
      const bindings = node.importClause?.namedBindings;
      if (!bindings || node.importClause.name || !ts.isNamedImports(bindings)) {
        throw new Error(`lib/${file}: import jose's values by name (import { x } from 'jose'), for dist/jose.cjs`);
      }
      for (const element of bindings.elements) if (!element.isTypeOnly) names.add((element.propertyName ?? element.name).text);
    }
  }
  return [...names].sort();
}

// lib/'s `from 'jose'`, in the CommonJS build: the loader, bundled into dist/index.cjs; the
// loader's own require('jose') stays external (a dependency), its require('./jose.cjs') too.
const joseThroughLoader = {
  name: 'jose-through-loader',
  resolveId: {
    order: 'pre',
    handler(id, importer) {
      if (id === 'jose' && importer !== loader) return loader;
      if (id === './jose.cjs' && importer === loader) return { id, external: true };
      return undefined;
    },
  },
};

// dist/jose.cjs: an entry that re-exports what lib/ imports from jose, jose bundled.
const bundledEntry = 'virtual:jose-bundled';
const joseBundled = {
  name: 'jose-bundled',
  resolveId: (id) => (id === bundledEntry ? id : undefined),
  load: (id) => (id === bundledEntry ? `export { ${joseImports().join(', ')} } from 'jose';\n` : undefined),
};

const shared = {
  platform: 'node',
  target: 'node20.19',
  tsconfig: 'tsconfig.build.json',
  fixedExtension: true,
  sourcemap: false,
  // Plugin timings are noise in a 2 s build.
  checks: { legacyCjs: false, pluginTimings: false },
};

export default defineConfig([
  {
    ...shared,
    entry: ['lib/index.ts', 'lib/bearer.ts', 'lib/client.ts'],
    dts: true,
    // Bundling any package fails the build: jose, cookie and passport-strategy are loaded from dependencies.
    deps: { onlyBundle: [] },
    format: { esm: {}, cjs: { plugins: [joseThroughLoader] } },
  },
  {
    ...shared,
    entry: { jose: bundledEntry },
    format: 'cjs',
    dts: false,
    clean: false,
    plugins: [joseBundled],
    deps: { alwaysBundle: (id) => id === 'jose' || id.startsWith('jose/'), onlyBundle: [/^jose$/], skipNodeModulesBundle: false },
    banner: { js: joseNotice },
  },
]);
