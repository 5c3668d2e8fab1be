// Two builds of lib/index.ts, each with its bundled declarations (tsconfig.build.json):
// - dist/index.mjs for `import`: an ES module that imports jose, cookie and passport-strategy;
// - dist/index.cjs for `require`: CommonJS with its own copy of the jose code it uses, so that
//   it loads where an ES module cannot be required (Jest's module system, older tools).
// cookie and passport-strategy are CommonJS packages: both builds load them from dependencies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsdown';

const jose = (id) => id === 'jose' || id.startsWith('jose/');

// jose is MIT-licensed: the CommonJS build, which carries a copy of its code, carries its
// notice too, with the version it was built from (what a jose update needs a new release for).
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

export default defineConfig({
  entry: ['lib/index.ts'],
  platform: 'node',
  target: 'node20.19',
  tsconfig: 'tsconfig.build.json',
  dts: true,
  fixedExtension: true,
  sourcemap: false,
  // Bundling any other package fails the build (the CommonJS build allows jose only).
  deps: { onlyBundle: [] },
  // The CommonJS build is deliberate (see above); plugin timings are noise in a 2 s build.
  checks: { legacyCjs: false, pluginTimings: false },
  format: {
    esm: {},
    cjs: {
      deps: { alwaysBundle: jose, onlyBundle: [/^jose$/], skipNodeModulesBundle: false },
      banner: { js: joseNotice },
    },
  },
});
