import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFunction, createContext, runInContext, Script } from 'node:vm';

// lib/core/jose-loader.cjs, the CommonJS build's jose: the installed jose, or the bundled copy
// (dist/jose.cjs) only when require() says it cannot load an ES module. Run here with a
// require() that answers 'jose' with a module or with the failure a host throws; the package
// test runs it for real (plain Node, require(esm) turned off, Jest 29 and 30).

const source = readFileSync(join(__dirname, '..', '..', '..', 'lib', 'core', 'jose-loader.cjs'), 'utf8');
const installed = { copy: 'installed' };
const bundled = { copy: 'bundled' };

/** The loader's exports with a require() whose 'jose' throws `failure` (loads when none). */
function load(...failure: unknown[]): unknown {
  const module = { exports: {} as unknown };
  const requireStub = (id: string): unknown => {
    if (id === 'jose') {
      if (failure.length) throw failure[0];
      return installed;
    }
    if (id === './jose.cjs') return bundled;
    throw new Error(`unexpected require('${id}')`);
  };
  compileFunction(source, ['exports', 'require', 'module'], { filename: 'jose-loader.cjs' })(module.exports, requireStub, module);
  return module.exports;
}

/** What load() throws: the very error given, or a sign that it threw none. */
function thrownBy(failure: unknown): unknown {
  try {
    return { loaded: load(failure) };
  } catch (err) {
    return err;
  }
}

/** V8's own SyntaxError for `code` run as a script, in this realm or in a new one (as Jest's are). */
function scriptSyntaxError(code: string, realm: 'this' | 'other'): Error {
  if (realm === 'other') {
    const context = createContext({ code });
    return runInContext('try { new Function(code); } catch (err) { err }', context) as Error;
  }
  try {
    new Script(code);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${code} compiled as a script`);
}

describe('jose for the CommonJS build (lib/jose-loader.cjs)', () => {
  it('is the installed jose when require() loads it', () => {
    expect(load()).to.equal(installed);
  });

  describe('is the bundled copy when require() cannot load an ES module', () => {
    it("Node's ERR_REQUIRE_ESM (require(esm) turned off) and Jest 30's", () => {
      const refused = Object.assign(new Error('Must use import to load ES Module: /app/node_modules/jose/dist/webapi/index.js'), {
        code: 'ERR_REQUIRE_ESM',
      });
      expect(load(refused)).to.equal(bundled);
    });

    for (const realm of ['this', 'other'] as const) {
      it(`jose's files run as CommonJS scripts (Jest 29): V8's SyntaxError on import or export, from ${realm} realm`, () => {
        const onImport = scriptSyntaxError('import { a } from "./a.js";', realm);
        const onExport = scriptSyntaxError('export const a = 1;', realm);
        expect(onImport.message).to.equal('Cannot use import statement outside a module');
        expect(onExport.message).to.equal("Unexpected token 'export'");
        expect(load(onImport)).to.equal(bundled);
        expect(load(onExport)).to.equal(bundled);
      });
    }
  });

  describe('lets any other failure through, unchanged', () => {
    const failures: Array<[string, () => unknown]> = [
      [
        'jose missing from node_modules (MODULE_NOT_FOUND)',
        () => Object.assign(new Error("Cannot find module 'jose'"), { code: 'MODULE_NOT_FOUND' }),
      ],
      [
        'a jose that has become asynchronous (ERR_REQUIRE_ASYNC_MODULE)',
        () =>
          Object.assign(new Error('require() cannot be used on an ESM graph with top-level await'), {
            code: 'ERR_REQUIRE_ASYNC_MODULE',
          }),
      ],
      ['a SyntaxError of another kind (jose broken, not unloadable)', () => scriptSyntaxError('const a = ;', 'this')],
      ['an error thrown while jose runs', () => new TypeError('crypto.subtle is undefined')],
      ['a value that is not an error', () => 'failed'],
    ];
    for (const [title, make] of failures) {
      it(title, () => {
        const failure = make();
        expect(thrownBy(failure)).to.equal(failure);
      });
    }
  });
});
