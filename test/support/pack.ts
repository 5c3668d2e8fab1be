import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './okta-local-process.js';

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
export const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export async function run(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return exec(file, args, { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
}

/**
 * Packs the committed HEAD as it is published: a clean clone (no dist/ of a previous
 * build), `npm pack` (whose prepack builds it). Returns the temporary folder and the tarball.
 * Uncommitted changes are not in it.
 */
export async function packHead(prefix: string): Promise<{ dir: string; tarball: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const clone = join(dir, 'clone');
  const head = (await run('git', ['rev-parse', 'HEAD'], root)).stdout.trim();
  await run('git', ['clone', '--quiet', '--no-checkout', root, clone], root);
  await run('git', ['checkout', '--quiet', '--detach', head], clone);
  await symlink(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packs = join(dir, 'packs');
  await mkdir(packs);
  await run(npm, ['pack', '--pack-destination', packs], clone);
  const [name] = await readdir(packs);
  return { dir, tarball: join(packs, name!) };
}

/** `name@version` of a package as installed in this repository: the versions the tests run with. */
export function installedSpec(name: string): string {
  const { version } = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return `${name}@${version}`;
}
