import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const construct = `
  const strategy = new OktaStrategy(
    { oktaDomain: 'acme.okta.com', authServerId: 'default', clientID: 'id', clientSecret: 's', callbackURL: '/cb' },
    async () => false,
  );
  const client = new OktaClient('acme.okta.com', 'id', 's', 'https://app.example/cb');
  console.log(JSON.stringify({ name: strategy.name, issuer: strategy.client.issuer, org: client.issuer,
    error: new ConfigurationError('x') instanceof OktaError }));
`;

describe('the published package', () => {
  let dir: string;
  let files: string[];

  before(async function () {
    this.timeout(180_000);
    dir = await mkdtemp(join(tmpdir(), 'okta-pack-'));
    const { stdout } = await exec(npm, ['pack', '--json', '--pack-destination', dir], { cwd: root });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await exec(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', join(dir, packed!.filename)],
      {
        cwd: dir,
      },
    );
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships only the built code, its declarations and the docs', () => {
    expect(files).to.include.members([
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/strategy.js',
    ]);
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts))$/.test(f));
    expect(unexpected).to.deep.equal([]);
  });

  it('loads with require() and constructs a strategy', async () => {
    const script = `const { OktaStrategy, OktaClient, OktaError, ConfigurationError } = require('passport-okta-oidc');${construct}`;
    const { stdout, stderr } = await exec(process.execPath, ['-e', script], { cwd: dir });
    expect(JSON.parse(stdout)).to.deep.equal({
      name: 'okta',
      issuer: 'https://acme.okta.com/oauth2/default',
      org: 'https://acme.okta.com',
      error: true,
    });
    expect(stderr).to.equal('');
  });

  it('loads with import and constructs a strategy', async () => {
    const script = `import { OktaStrategy, OktaClient, OktaError, ConfigurationError } from 'passport-okta-oidc';${construct}`;
    const { stdout, stderr } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    expect(JSON.parse(stdout)).to.deep.equal({
      name: 'okta',
      issuer: 'https://acme.okta.com/oauth2/default',
      org: 'https://acme.okta.com',
      error: true,
    });
    expect(stderr).to.equal('');
  });
});
