import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, importOciArchive, importOciLayout, loadImage, writeDockerArchive, writeOciArchive } from '@tsbuild/oci';

import { storeTestImage } from '../../../test/support/oci-image.js';

const run = promisify(execFile);

let root: string;
let source: ContentStore;
let target: ContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-import-'));
  source = new ContentStore(join(root, 'source'));
  target = new ContentStore(join(root, 'target'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('importing OCI layouts', () => {
  it('round-trips our own OCI archive into another store', async () => {
    const image = await storeTestImage(source, { layers: [{ a: '1' }, { b: '2' }] });
    const archive = join(root, 'image.tar');
    await writeOciArchive(source, { target: image.descriptor, names: ['localhost:5000/app:v1'] }, archive);
    const imported = await importOciArchive(target, archive);
    expect(imported).toEqual([{ descriptor: expect.objectContaining({ digest: image.descriptor.digest }), name: 'localhost:5000/app:v1' }]);
    const loaded = await loadImage(target, image.descriptor);
    expect(loaded.config).toEqual(image.config);
    for (const layer of image.layers) expect(await target.has(layer.descriptor.digest)).toBe(true);
  });

  it('imports what skopeo writes, as a directory and as an archive', async () => {
    const image = await storeTestImage(source, { layers: [{ x: 'skopeo' }], format: 'docker' });
    const dockerTar = join(root, 'docker.tar');
    await writeDockerArchive(source, { target: image.descriptor, names: ['app:v1'] }, dockerTar);
    const layout = join(root, 'skopeo-layout');
    await run('skopeo', ['copy', `docker-archive:${dockerTar}`, `oci:${layout}:copied`]);
    const fromDir = await importOciLayout(target, layout);
    expect(fromDir).toHaveLength(1);
    expect(fromDir[0]?.name).toBe('copied');
    expect((await loadImage(target, fromDir[0]!.descriptor)).config.rootfs.diff_ids).toEqual(image.config.rootfs.diff_ids);

    const ociTar = join(root, 'skopeo.tar');
    await run('skopeo', ['copy', `docker-archive:${dockerTar}`, `oci-archive:${ociTar}:again`]);
    const other = new ContentStore(join(root, 'other'));
    const fromTar = await importOciArchive(other, ociTar);
    expect(fromTar[0]?.name).toBe('again');
    expect((await loadImage(other, fromTar[0]!.descriptor)).config.rootfs.diff_ids).toEqual(image.config.rootfs.diff_ids);
  });

  it('refuses a layout whose blob does not match its name, storing nothing of it', async () => {
    const image = await storeTestImage(source, { layers: [{ a: '1' }] });
    const layout = join(root, 'bad-layout');
    const archive = join(root, 'image.tar');
    await writeOciArchive(source, { target: image.descriptor }, archive);
    await run('mkdir', ['-p', layout]);
    await run('tar', ['-xf', archive, '-C', layout]);
    await writeFile(join(layout, 'blobs', 'sha256', image.layers[0]!.descriptor.digest.slice(7)), 'tampered');
    await expect(importOciLayout(target, layout)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    const stored = await readdir(join(root, 'target', 'content', 'blobs', 'sha256')).catch(() => []);
    expect(stored).not.toContain(image.layers[0]!.descriptor.digest.slice(7));
  });
});
