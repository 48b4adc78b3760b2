import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, MediaTypes, sha256Digest, writeDockerArchive, writeOciArchive, writeOciLayout, type ImageIndex } from '@tsbuild/oci';

import { storeJson, storeTestImage } from '../../../test/support/oci-image.js';

const run = promisify(execFile);

let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-export-'));
  store = new ContentStore(join(root, 'store'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function untar(archive: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('tar', ['-xf', archive, '-C', dir]);
}

const twoLayers = [{ 'etc/greeting': 'hello\n', 'bin/tool': '#!/bin/sh\necho tool\n' }, { 'etc/greeting': 'bonjour\n', 'srv/data.txt': 'data' }];

describe('OCI archive export', () => {
  it('writes an image layout that skopeo reads and umoci unpacks', async () => {
    const image = await storeTestImage(store, { layers: twoLayers, config: { Cmd: ['/bin/tool'], Env: ['A=1'] } });
    const archive = join(root, 'image.tar');
    await writeOciArchive(store, { target: image.descriptor, names: ['example.com/team/app:v1'] }, archive);

    const { stdout } = await run('skopeo', ['inspect', `oci-archive:${archive}`]);
    const inspected = JSON.parse(stdout);
    expect(inspected.Digest).toBe(image.descriptor.digest);
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.descriptor.digest));
    expect(inspected.Env).toEqual(['A=1']);

    const layout = join(root, 'layout');
    await untar(archive, layout);
    expect(JSON.parse(await readFile(join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as ImageIndex;
    expect(index.manifests).toEqual([
      {
        ...image.descriptor,
        annotations: { 'io.containerd.image.name': 'example.com/team/app:v1', 'org.opencontainers.image.ref.name': 'v1' },
      },
    ]);
    // Every blob is stored under its own digest.
    for (const name of await readdir(join(layout, 'blobs', 'sha256'))) {
      expect(sha256Digest(await readFile(join(layout, 'blobs', 'sha256', name)))).toBe(`sha256:${name}`);
    }

    const bundle = join(root, 'bundle');
    await run('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    expect(await readFile(join(rootfs, 'etc', 'greeting'), 'utf8')).toBe('bonjour\n');
    expect(await readFile(join(rootfs, 'bin', 'tool'), 'utf8')).toBe('#!/bin/sh\necho tool\n');
    expect(await readFile(join(rootfs, 'srv', 'data.txt'), 'utf8')).toBe('data');
    const runtimeConfig = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    expect(runtimeConfig.process.args).toEqual(['/bin/tool']);
  });

  it('exports a multi-platform index with every platform present', async () => {
    const amd = await storeTestImage(store, { layers: [{ a: 'amd64' }], architecture: 'amd64' });
    const arm = await storeTestImage(store, { layers: [{ a: 'arm64' }], architecture: 'arm64' });
    const index = await storeJson(
      store,
      {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { ...amd.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
          { ...arm.descriptor, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      },
      MediaTypes.ociIndex,
    );
    const archive = join(root, 'multi.tar');
    await writeOciArchive(store, { target: index, names: ['multi:latest'] }, archive);
    const { stdout } = await run('skopeo', ['inspect', '--raw', `oci-archive:${archive}`]);
    expect(sha256Digest(stdout)).toBe(index.digest);
    const { stdout: armInspect } = await run('skopeo', ['inspect', '--override-arch', 'arm64', `oci-archive:${archive}`]);
    expect(JSON.parse(armInspect)).toMatchObject({ Architecture: 'arm64', Layers: [arm.layers[0]!.descriptor.digest] });
  });

  it('fails without leaving a partial file when a blob is missing or corrupted', async () => {
    const image = await storeTestImage(store, { layers: twoLayers });
    const layer = image.layers[1]!.descriptor.digest;
    const archive = join(root, 'broken.tar');
    await rm(store.blobPath(layer));
    await expect(writeOciArchive(store, { target: image.descriptor }, archive)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    await store.write(Buffer.from('not the layer'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(store.blobPath(layer), Buffer.alloc(image.layers[1]!.descriptor.size, 1));
    await expect(writeOciArchive(store, { target: image.descriptor }, archive)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect((await readdir(root)).sort()).toEqual(['store']);
  });
});

describe('OCI layout directory export', () => {
  it('writes a layout directory that skopeo reads and umoci unpacks, and adds to it', async () => {
    const first = await storeTestImage(store, { layers: twoLayers });
    const second = await storeTestImage(store, { layers: [{ 'only/second': '2' }] });
    const layout = join(root, 'layout-dir');
    await writeOciLayout(store, [{ target: first.descriptor, names: ['app:one'] }, { target: second.descriptor, names: ['app:two'] }], layout);
    const { stdout } = await run('skopeo', ['inspect', `oci:${layout}:two`]);
    expect(JSON.parse(stdout).Digest).toBe(second.descriptor.digest);
    await run('umoci', ['unpack', '--image', `${layout}:one`, join(root, 'bundle')]);
    expect(await readFile(join(root, 'bundle', 'rootfs', 'srv', 'data.txt'), 'utf8')).toBe('data');
    const blobs = await readdir(join(layout, 'blobs', 'sha256'));
    expect(blobs.every((name) => /^[a-f0-9]{64}$/.test(name))).toBe(true);
  });
});

describe('docker archive export', () => {
  it('writes what docker load reads: manifest.json with Config, RepoTags and Layers', async () => {
    const image = await storeTestImage(store, { layers: twoLayers, format: 'docker' });
    const archive = join(root, 'docker.tar');
    await writeDockerArchive(store, { target: image.descriptor, names: ['busybox:latest', 'localhost:5000/app:v2'] }, archive);

    const { stdout } = await run('skopeo', ['inspect', `docker-archive:${archive}`]);
    const inspected = JSON.parse(stdout);
    expect(inspected.Architecture).toBe('amd64');
    // skopeo finds the image by the tag recorded in RepoTags.
    const { stdout: byTag } = await run('skopeo', ['inspect', `docker-archive:${archive}:localhost:5000/app:v2`]);
    expect(JSON.parse(byTag).Layers).toEqual(inspected.Layers);
    const { stdout: rawConfig } = await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`]);
    expect(sha256Digest(rawConfig)).toBe(image.manifest.config.digest);

    const dir = join(root, 'docker');
    await untar(archive, dir);
    const manifestJson = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifestJson).toEqual([
      {
        Config: `blobs/sha256/${image.manifest.config.digest.slice(7)}`,
        RepoTags: ['busybox:latest', 'localhost:5000/app:v2'],
        Layers: image.layers.map((l) => `blobs/sha256/${l.descriptor.digest.slice(7)}`),
      },
    ]);
    expect(await readFile(join(dir, 'oci-layout'), 'utf8')).toBe('{"imageLayoutVersion":"1.0.0"}');
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    expect(index.manifests.map((m) => m.digest)).toEqual([image.descriptor.digest, image.descriptor.digest]);
  });
});
