import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SnapshotStore, cleanupStale, mountsUnder, unmount, type LayerSource } from '@tsbuild/snapshot';
import { getXattr } from '../src/xattr.js';
import { makeTar, type TarSpec } from './helpers.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tsbuild-snap-'));
});

afterAll(() => {
  expect(mountsUnder(root)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

function bytesSource(bytes: Buffer): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield bytes;
  })();
}

async function layerOf(specs: TarSpec[], opened: { count: number } = { count: 0 }): Promise<LayerSource> {
  const bytes = await makeTar(specs);
  return {
    diffId: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    open: () => {
      opened.count++;
      return bytesSource(bytes);
    },
  };
}

function mountDirs(name: string): { upper: string; work: string; target: string } {
  const dirs = { upper: path.join(root, name, 'upper'), work: path.join(root, name, 'work'), target: path.join(root, name, 'merged') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

describe('SnapshotStore', () => {
  it('stores deletions as overlay whiteouts and opaque dirs, and unpacks each chain once', async () => {
    const store = new SnapshotStore(root);
    const opened = { count: 0 };
    const base = await layerOf([{ name: 'd/', type: 'directory' }, { name: 'd/old', body: 'old' }, { name: 'gone', body: 'x' }, { name: 'kept', body: 'kept' }], opened);
    const top = await layerOf([{ name: '.wh.gone' }, { name: 'd/', type: 'directory' }, { name: 'd/.wh..wh..opq' }, { name: 'd/new', body: 'new' }], opened);
    const ids = await store.prepare([base, top]);
    const topDir = store.snapshotPath(ids[1] as string);
    const whiteout = lstatSync(path.join(topDir, 'gone'));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
    expect(getXattr(path.join(topDir, 'd'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readdirSync(path.join(topDir, 'd'))).toEqual(['new']);
    expect(opened.count).toBe(2);
    await store.prepare([base, top]);
    await new SnapshotStore(root).prepare([base]);
    expect(opened.count).toBe(2);

    const dirs = mountDirs('run');
    await store.mountChain([base, top], dirs);
    try {
      expect(readdirSync(dirs.target).sort()).toEqual(['d', 'kept']);
      expect(readdirSync(path.join(dirs.target, 'd'))).toEqual(['new']);
    } finally {
      await unmount(dirs.target);
    }
  });

  it('unpacks a layer once when two stores prepare it at the same time', async () => {
    const opened = { count: 0 };
    const shared = await layerOf([{ name: 'concurrent', body: 'once' }], opened);
    const [a, b] = await Promise.all([new SnapshotStore(root).prepare([shared]), new SnapshotStore(root).prepare([shared])]);
    expect(a).toEqual(b);
    expect(opened.count).toBe(1);
    expect(readFileSync(path.join(new SnapshotStore(root).snapshotPath(a[0] as string), 'concurrent'), 'utf8')).toBe('once');
  });

  it('refuses a layer whose content does not match its diffID, leaving nothing behind', async () => {
    const store = new SnapshotStore(root);
    const real = await layerOf([{ name: 'a', body: 'a' }]);
    const lying: LayerSource = { diffId: `sha256:${'0'.repeat(64)}`, open: real.open };
    await expect(store.prepare([lying])).rejects.toMatchObject({ code: 'LAYER_DIFFID_MISMATCH' });
    expect(existsSync(path.join(store.dir, '0'.repeat(64)))).toBe(false);
    expect(readdirSync(store.dir).filter((name) => name.startsWith('tmp-'))).toEqual([]);
  });

  it('mounts a 120-layer chain (short lower ids keep the options under a page)', async () => {
    const store = new SnapshotStore(root);
    const layers: LayerSource[] = [];
    for (let i = 0; i < 120; i++) {
      const specs: TarSpec[] = [{ name: `f${i}`, body: String(i) }];
      if (i > 0) specs.push({ name: `.wh.f${i - 1}` });
      layers.push(await layerOf(specs));
    }
    const dirs = mountDirs('deep');
    await store.mountChain(layers, dirs);
    try {
      expect(readdirSync(dirs.target)).toEqual(['f119']);
      expect(readFileSync(path.join(dirs.target, 'f119'), 'utf8')).toBe('119');
    } finally {
      await unmount(dirs.target);
    }
  }, 120_000);

  it('cleanupStale removes the mounts and temp dirs of a dead process', async () => {
    const store = new SnapshotStore(root);
    const dead = spawnSync('true').pid as number;
    const temp = path.join(store.dir, `tmp-${dead}-leftover`);
    for (const sub of ['fs', 'work', 'merged', 'lower']) mkdirSync(path.join(temp, sub), { recursive: true });
    spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${temp}/lower,upperdir=${temp}/fs,workdir=${temp}/work`, `${temp}/merged`]);
    expect(mountsUnder(temp)).toEqual([`${temp}/merged`]);
    const live = path.join(store.dir, `tmp-${process.pid}-busy`);
    mkdirSync(live);
    expect(await cleanupStale(root)).toEqual([temp]);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(live)).toBe(true);
    rmSync(live, { recursive: true });
  });
});
