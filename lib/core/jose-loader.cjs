'use strict';
// jose for the CommonJS build: tsdown.config.mjs makes every `from 'jose'` of lib/ in
// dist/index.cjs read this module's exports (the ES module build imports jose itself).
//
// It is the installed jose, loaded with require(esm) (Node >= 20.19), so that the jose
// `npm update` moves and `npm audit` reports on is the jose that runs. jose is an ES module
// only; a module system whose require() cannot load one (Jest's, on Node < 24.9) gets the
// copy of jose bundled at build time, dist/jose.cjs, instead.
//
// The copy is used on these failures only, the two ways a require() says it cannot load an
// ES module:
// - code ERR_REQUIRE_ESM: Node's refusal when require(esm) is turned off
//   (--no-experimental-require-module), and Jest 30's, which checks before it runs a file;
// - a SyntaxError on an `import` or `export` statement: a module system that runs jose's
//   files as CommonJS scripts without checking (Jest 29). Where require(esm) works, jose is
//   parsed as a module and cannot fail that way.
// Any other failure propagates: jose missing from node_modules, ERR_REQUIRE_ASYNC_MODULE
// (a jose that has become asynchronous), an error thrown while jose's code runs. Those are
// faults to see, not to hide behind a copy that may be older.
// Errors are matched by their code, name and message, not instanceof: Jest's come from
// another realm.

/** Whether `err`, thrown by require('jose'), says this require() cannot load an ES module. */
function cannotLoadEsm(err) {
  if (typeof err !== 'object' || err === null) return false;
  if (err.code === 'ERR_REQUIRE_ESM') return true;
  return (
    err.name === 'SyntaxError' &&
    /^(Cannot use import statement outside a module|Unexpected token 'export')$/.test(String(err.message))
  );
}

let jose;
try {
  jose = require('jose');
} catch (err) {
  if (!cannotLoadEsm(err)) throw err;
  jose = require('./jose.cjs');
}
module.exports = jose;
