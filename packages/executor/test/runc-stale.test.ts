import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupStaleContainers } from '../src/runc/index.js';
import { makeBusyboxRootfs, mountOverlay, mountsUnder, runcList } from './runc-support.js';

const packagesDir = fileURLToPath(new URL('../..', import.meta.url));
let base: string;
let childScript: string;

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'tsbuild-runc-stale-'));
  // A plain node process cannot load TypeScript: bundle the child with workspace packages from source.
  childScript = path.join(base, 'child.mjs');
  const alias = Object.fromEntries(readdirSync(packagesDir).map((name) => [`@tsbuild/${name}`, path.join(packagesDir, name, 'src', 'index.ts')]));
  await build({
    input: fileURLToPath(new URL('./runc-child.ts', import.meta.url)),
    platform: 'node',
    resolve: { alias },
    output: { file: childScript, format: 'esm' },
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

it('removes the container and bundle a SIGKILLed process left, and nothing of live processes', async () => {
  const stateRoot = path.join(base, 'state');
  const runcState = path.join(stateRoot, 'runc');
  const overlay = mountOverlay(makeBusyboxRootfs(path.join(base, 'lower')));
  try {
    const child = spawn(process.execPath, [childScript, overlay.merged, stateRoot], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [firstLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(firstLine).toBe('started');
    child.kill('SIGKILL');
    await once(child, 'close');

    const [left] = runcList(runcState);
    expect(left).toMatch(new RegExp(`^tsbuild-${child.pid}-[0-9a-f]+$`));
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([left]);
    // A bundle of a live process (this one) must survive.
    const ours = `tsbuild-${process.pid}-abcdef`;
    mkdirSync(path.join(stateRoot, 'bundles', ours));

    expect(await cleanupStaleContainers(stateRoot)).toEqual({ containers: [left], bundles: [left] });
    expect(runcList(runcState)).toEqual([]);
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([ours]);
    expect(existsSync(path.join(runcState, left!))).toBe(false);
    expect(mountsUnder(stateRoot)).toEqual([]);
    expect(await cleanupStaleContainers(stateRoot)).toEqual({ containers: [], bundles: [] });
  } finally {
    spawnSync('runc', ['--root', runcState, 'delete', '--force', ...runcList(runcState)]);
    overlay.unmount();
  }
});
