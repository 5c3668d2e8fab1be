import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// scripts/check-bundled-jose.mjs, the release check (prepublishOnly): run as npm runs it,
// with the registry's answer given through CHECK_BUNDLED_JOSE_REGISTRY (what
// `npm view jose@<range> version --json` prints) and no PATH, so that it cannot reach npm.

const root = join(__dirname, '..', '..');
const script = join(root, 'scripts', 'check-bundled-jose.mjs');
const range = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
  .dependencies.jose!;
// The jose the build bundles: the installed one.
const bundled = (JSON.parse(readFileSync(join(root, 'node_modules', 'jose', 'package.json'), 'utf8')) as { version: string })
  .version;
const [major, minor, patch] = bundled.split('.').map(Number) as [number, number, number];

function check(registryAnswer: unknown): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [script], {
    cwd: root,
    env: { CHECK_BUNDLED_JOSE_REGISTRY: typeof registryAnswer === 'string' ? registryAnswer : JSON.stringify(registryAnswer) },
    encoding: 'utf8',
  });
  return { status, stdout, stderr };
}

describe('the release check of the bundled jose (scripts/check-bundled-jose.mjs)', () => {
  it('passes when the bundled jose is the newest in range (the registry lists one version)', () => {
    const result = check(JSON.stringify(bundled));
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`jose ${bundled}, the newest jose in ${range}`);
  });

  it('passes when the bundled jose is the newest of several', () => {
    // Listed newest first: the check orders them itself.
    const result = check([...new Set([bundled, `${major}.0.0`])]);
    expect(result.status, result.stderr).to.equal(0);
  });

  it('fails when a newer jose is published, naming it and the command that updates to it', () => {
    const newer = `${major}.${minor}.${patch + 1}`;
    const result = check([bundled, newer]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(`would bundle jose ${bundled}, but jose ${newer} is the newest in ${range}`);
    expect(result.stderr).to.include(`npm install jose@^${newer}`);
    expect(result.stdout).to.equal('');
  });

  it('orders versions by number, not as text', () => {
    const result = check([bundled, `${major}.${minor + 1}.10`, `${major}.${minor + 1}.9`]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(`jose ${major}.${minor + 1}.10 is the newest`);
  });

  it('fails when the registry lists no version in range', () => {
    const result = check('');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(`no jose version in ${range}`);
  });

  it('fails when the installed jose is not a published version in range', () => {
    const result = check([`${major - 1}.0.0`]);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(`the installed jose ${bundled} is not a published version in ${range}`);
  });
});
