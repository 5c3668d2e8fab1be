#!/usr/bin/env node
// Release check (prepublishOnly, `npm run check:jose`): the jose that dist/jose.cjs bundles,
// the copy that CommonJS code runs where require() cannot load an ES module (Jest), must be
// the newest published jose in the range package.json gives it. Users' `npm update` moves
// their installed jose; only a release of this package moves that copy.
//
// The bundled version is the installed jose's (node_modules/jose, as package-lock.json pins
// it): tsdown.config.mjs builds dist/jose.cjs from it, and `npm publish` runs this check
// before prepack builds. The published versions come from `npm view jose@<range> version
// --json`, or, for tests, from CHECK_BUNDLED_JOSE_REGISTRY holding what that command prints.
/* global URL, console, process */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const range = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).dependencies.jose;
const josePackage = createRequire(new URL('package.json', root)).resolve('jose/package.json');
const bundled = JSON.parse(readFileSync(josePackage, 'utf8')).version;

const answer =
  process.env.CHECK_BUNDLED_JOSE_REGISTRY ??
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['view', `jose@${range}`, 'version', '--json'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
// One version prints as a string, several as an array; none as nothing.
const parsed = answer.trim() === '' ? [] : JSON.parse(answer);
const published = (Array.isArray(parsed) ? parsed : [parsed]).filter((version) => /^\d+\.\d+\.\d+$/.test(version));

/** Orders x.y.z versions (the range holds releases only). */
const compare = (a, b) => {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};
const newest = published.sort(compare).at(-1);
// The update keeps the range's kind (^, ~) and raises its floor to the bundled version.
const prefix = /^[~^]/.exec(range)?.[0] ?? '';

if (newest === undefined) {
  console.error(`check-bundled-jose: the registry lists no jose version in ${range}.`);
  process.exitCode = 1;
} else if (newest === bundled) {
  console.log(`check-bundled-jose: dist/jose.cjs is built from jose ${bundled}, the newest jose in ${range}.`);
} else if (compare(bundled, newest) < 0) {
  console.error(
    [
      `check-bundled-jose: dist/jose.cjs would bundle jose ${bundled}, but jose ${newest} is the newest in ${range}.`,
      `Update jose to ${newest} before publishing: npm install jose@${prefix}${newest}`,
      '(it moves package.json, package-lock.json and node_modules), then commit both files and rebuild.',
    ].join('\n'),
  );
  process.exitCode = 1;
} else {
  console.error(`check-bundled-jose: the installed jose ${bundled} is not a published version in ${range} (newest: ${newest}).`);
  process.exitCode = 1;
}
