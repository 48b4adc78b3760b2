import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';
import { startRegistry, type TestRegistry } from './support/registry.js';

const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');

function run(args: string[], root: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, TSBUILD_ROOT: root, CI: 'true' } }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let registry: TestRegistry;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-cache-transfer-'));
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function freshRoot(name: string): Promise<string> {
  const root = join(dir, name);
  await storeBusybox(root);
  return root;
}

describe('a cache shared through the registry or a directory', () => {
  it('lets a fresh root run no step at all and give the same digest (registry, mode=max)', async () => {
    const cacheRef = `${registry.host}/cache/multistage:buildcache`;
    const first = await run(['build', '-q', '--cache-to', `type=registry,ref=${cacheRef},mode=max`, 'examples/multistage'], await freshRoot('a'));
    expect(first.status).toBe(0);

    const second = await run(['build', '--progress', 'plain', '--cache-from', `type=registry,ref=${cacheRef}`, 'examples/multistage'], await freshRoot('b'));
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('; 0 steps run, 4 cached');
    expect(second.stderr).not.toContain('cache miss');
    expect(second.stdout.trim()).toBe(first.stdout.trim());
  });

  it('works through a local directory too', async () => {
    const cacheDir = join(dir, 'cache-dir');
    const first = await run(['build', '-q', '--cache-to', `type=local,dest=${cacheDir}`, 'examples/hello'], await freshRoot('c'));
    expect(first.status).toBe(0);
    const second = await run(['build', '--progress', 'plain', '--cache-from', `type=local,src=${cacheDir}`, 'examples/hello'], await freshRoot('d'));
    expect(second.stderr).toContain('; 0 steps run, 3 cached');
    expect(second.stdout.trim()).toBe(first.stdout.trim());
  });

  it('treats a cache ref that does not exist yet as empty', async () => {
    const result = await run(['build', '-q', '--cache-from', `type=registry,ref=${registry.host}/cache/none:missing`, 'examples/hello'], await freshRoot('e'));
    expect(result.status).toBe(0);
  });
});
