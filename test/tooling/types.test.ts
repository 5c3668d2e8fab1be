import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('public types', () => {
  it('compile a strict consumer file against dist/*.d.ts, with every @ts-expect-error needed', async function () {
    this.timeout(120_000);
    // `npm test` builds dist/ first; the consumer imports the package by its own name.
    const result = await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'test/types/tsconfig.json'], {
      cwd: `${__dirname}/../..`,
    }).catch((err: { stdout: string; code: number }) => err);
    expect(result.stdout, 'tsc output').to.equal('');
  });
});
