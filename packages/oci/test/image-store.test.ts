import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, ImageStore, MediaTypes, parseReference, sha256Digest, withFileLock, type Descriptor } from '@tsbuild/oci';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-images-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const descriptor = (n: number): Descriptor => ({ mediaType: MediaTypes.ociManifest, digest: sha256Digest(`manifest ${n}`), size: 100 + n });

describe('ImageStore', () => {
  it('tags, resolves, lists and untags normalised names', async () => {
    const images = new ImageStore(root);
    await images.tag('busybox', descriptor(1));
    await images.tag(parseReference('localhost:5000/team/app:v1'), descriptor(2));
    expect(await images.resolve('docker.io/library/busybox:latest')).toEqual(descriptor(1));
    expect(await images.resolve('busybox:latest')).toEqual(descriptor(1));
    expect(await images.resolve('busybox:other')).toBeUndefined();
    expect(await images.resolve(`busybox@${descriptor(1).digest}`)).toEqual(descriptor(1));
    expect(await images.resolve(`alpine@${descriptor(1).digest}`)).toBeUndefined();
    expect((await images.list()).map((r) => r.name)).toEqual(['docker.io/library/busybox:latest', 'localhost:5000/team/app:v1']);

    // Re-tagging moves the name and keeps its creation time.
    const first = await images.get('busybox');
    await images.tag('busybox', descriptor(3));
    const moved = await images.get('busybox');
    expect(moved?.target).toEqual(descriptor(3));
    expect(moved?.created).toBe(first?.created);

    expect(await images.untag('busybox')).toBe(true);
    expect(await images.untag('busybox')).toBe(false);
    expect((await images.list()).map((r) => r.reference.familiar)).toEqual(['localhost:5000/team/app:v1']);
    // Stored as plain JSON; no temp or lock files left behind.
    expect((await readdir(join(root, 'images'))).sort()).toEqual(['images.json']);
    const onDisk = JSON.parse(await readFile(join(root, 'images', 'images.json'), 'utf8'));
    expect(Object.keys(onDisk.images)).toEqual(['localhost:5000/team/app:v1']);
  });

  it('keeps every tag when many writers tag at once', async () => {
    const stores = Array.from({ length: 5 }, () => new ImageStore(root));
    await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 5]!.tag(`app:v${i}`, descriptor(i))));
    const names = (await new ImageStore(root).list()).map((r) => r.reference.tag);
    expect(names).toHaveLength(50);
    expect(await new ImageStore(root).resolve('app:v37')).toEqual(descriptor(37));
  });

  it('rejects invalid names with INVALID_REFERENCE', async () => {
    await expect(new ImageStore(root).tag('Bad/Name', descriptor(1))).rejects.toMatchObject({ code: 'INVALID_REFERENCE' });
  });
});

describe('withFileLock', () => {
  it('waits for a lock held by a live process and takes over one left by a dead process', async () => {
    const lock = join(root, 'test.lock');
    const holder = spawn('sleep', ['30']);
    try {
      await writeFile(lock, String(holder.pid));
      await expect(withFileLock(lock, async () => 'ran', 200)).rejects.toMatchObject({ code: 'LOCKED' });
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      // The holder is gone: its lock file is stale and is taken over.
      expect(await withFileLock(lock, async () => 'ran', 2000)).toBe('ran');
      expect(await readdir(root)).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('runs holders one at a time', async () => {
    const lock = join(root, 'serial.lock');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFileLock(lock, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });
});

describe('ContentStore and ImageStore share a root', () => {
  it('keep content and names apart', async () => {
    await new ContentStore(root).write(Buffer.from('x'));
    await new ImageStore(root).tag('x', descriptor(0));
    expect((await readdir(root)).sort()).toEqual(['content', 'images']);
  });
});
