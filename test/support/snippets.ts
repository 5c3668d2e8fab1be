import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A module made of one code block of the docs, or of several joined by `continues`. */
export interface Snippet {
  /** `ts` (TypeScript, compiled as a .ts module) or `js` (CommonJS, a .cjs module). */
  lang: 'ts' | 'js';
  /** `docs/x.md:12`: where its first block starts. */
  origin: string;
  /** Where each line of `code` comes from, `file:line`. */
  lines: string[];
  code: string;
  /**
   * `file=path` in the info string: the block quotes that file of the repository (an app
   * that a test runs, e.g. in test/frameworks/), so it is compared with the file instead
   * of compiled here.
   */
  file?: string | undefined;
  /**
   * `app` in the info string (```ts app): a complete app, which test/e2e/docs-snippets.test.ts
   * runs as it is against the local provider, signing a demo user in through `/login`.
   */
  app?: boolean | undefined;
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };

/** The Markdown files whose code blocks must compile: README.md, CONTRIBUTING.md and docs/ (not docs/api/). */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(root, 'docs', name));
  return [join(root, 'README.md'), join(root, 'CONTRIBUTING.md'), ...docs];
}

/**
 * The `ts`/`js` code blocks of a Markdown file as modules. A block whose info string has
 * the word `continues` (```ts continues) is joined to the module before it.
 */
export function snippetsOf(root: string, file: string): Snippet[] {
  const name = relative(root, file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\w*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info = '', rest = ''] = open;
    const end = lines.findIndex((line, j) => j > i && line.trim() === fence);
    if (end === -1) throw new Error(`${name}:${i + 1}: unclosed code block`);
    const lang = LANGS[info.toLowerCase()];
    if (lang !== undefined) {
      const body = lines.slice(i + 1, end).map((line) => (line.startsWith(indent!) ? line.slice(indent!.length) : line));
      const where = body.map((_, k) => `${name}:${i + 2 + k}`);
      const words = rest.split(/\s+/);
      const continues = words.includes('continues');
      const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
      const previous = snippets.at(-1);
      if (continues) {
        if (previous === undefined || previous.lang !== lang) {
          throw new Error(`${name}:${i + 1}: a "continues" block needs a ${lang} block before it`);
        }
        previous.code += `\n${body.join('\n')}`;
        previous.lines.push(...where);
      } else {
        const app = words.includes('app');
        snippets.push({ lang, origin: `${name}:${i + 1}`, lines: where, code: body.join('\n'), file, app });
      }
    }
    i = end;
  }
  return snippets;
}
