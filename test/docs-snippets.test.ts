import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { documentationFiles, snippetsOf, type Snippet } from './support/snippets.js';

// Every ts/js code block of README.md, CONTRIBUTING.md and docs/ (docs/api/ is generated)
// compiles in strict TypeScript against the built package: `passport-okta-oidc` resolves
// to dist/ through package.json "exports" (a package may import itself by name), the same
// declarations users get. A ts block is an ES-syntax module compiled as CommonJS, as in
// a folder without "type": "module"; a js block is CommonJS that must parse, resolve its
// requires, and take only names the package exports.

const exec = promisify(execFile);
const root = join(__dirname, '..');
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

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
