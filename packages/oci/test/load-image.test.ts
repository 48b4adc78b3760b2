import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, hostPlatform, loadImage, MediaTypes, parsePlatform, formatPlatform, type Descriptor } from '@tsbuild/oci';

import { storeJson, storeTestImage } from '../../../test/support/oci-image.js';

let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-load-'));
  store = new ContentStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function multiPlatformIndex(mediaType: string = MediaTypes.ociIndex) {
  const amd = await storeTestImage(store, { layers: [{ f: 'amd64' }], architecture: 'amd64' });
  const arm = await storeTestImage(store, { layers: [{ f: 'arm64' }], architecture: 'arm64' });
  const armv7 = await storeTestImage(store, { layers: [{ f: 'armv7' }], architecture: 'arm' });
  const attestation = await storeJson(store, { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: amd.manifest.config, layers: [] }, MediaTypes.ociManifest);
  const manifests: Descriptor[] = [
    { ...attestation, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    { ...amd.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
    { ...arm.descriptor, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { ...armv7.descriptor, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  ];
  const index = await storeJson(store, { schemaVersion: 2, mediaType, manifests }, mediaType);
  return { index, amd, arm, armv7 };
}

describe('loadImage', () => {
  it('loads a manifest and its config, by descriptor or by digest alone', async () => {
    const image = await storeTestImage(store, { layers: [{ a: '1' }, { b: '2' }], format: 'docker' });
    const loaded = await loadImage(store, image.descriptor);
    expect(loaded.manifest).toEqual(image.manifest);
    expect(loaded.config).toEqual(image.config);
    expect(loaded.index).toBeUndefined();
    expect((await loadImage(store, image.descriptor.digest)).descriptor).toEqual(image.descriptor);
  });

  it('picks the platform from an OCI index or a Docker manifest list, skipping attestations', async () => {
    for (const mediaType of [MediaTypes.ociIndex, MediaTypes.dockerManifestList]) {
      const { index, amd, arm, armv7 } = await multiPlatformIndex(mediaType);
      expect((await loadImage(store, index, parsePlatform('linux/amd64'))).descriptor.digest).toBe(amd.descriptor.digest);
      expect((await loadImage(store, index, parsePlatform('linux/arm64'))).config.architecture).toBe('arm64');
      expect((await loadImage(store, index, parsePlatform('linux/arm/v7'))).descriptor.digest).toBe(armv7.descriptor.digest);
      const fromDigest = await loadImage(store, index.digest, parsePlatform('aarch64'));
      expect(fromDigest.descriptor.digest).toBe(arm.descriptor.digest);
      expect(fromDigest.index?.descriptor).toEqual(index);
    }
  });

  it('uses linux on the host architecture by default', async () => {
    const { index } = await multiPlatformIndex();
    const loaded = await loadImage(store, index);
    expect(loaded.config.architecture).toBe(hostPlatform().architecture);
    expect(formatPlatform(hostPlatform())).toMatch(/^linux\//);
  });

  it('names the wanted and available platforms when none matches', async () => {
    const { index } = await multiPlatformIndex();
    await expect(loadImage(store, index, parsePlatform('linux/s390x'))).rejects.toMatchObject({
      code: 'PLATFORM_NOT_FOUND',
      message: `no image for linux/s390x in index ${index.digest} (available: linux/amd64, linux/arm64/v8, linux/arm/v7)`,
    });
  });

  it('refuses a descriptor whose size does not match the blob, and a missing blob', async () => {
    const image = await storeTestImage(store, { layers: [{ a: '1' }] });
    await expect(loadImage(store, { ...image.descriptor, size: image.descriptor.size + 1 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await store.delete(image.manifest.config.digest);
    await expect(loadImage(store, image.descriptor)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
  });

  it('parses platforms like docker --platform', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(() => parsePlatform('linux//')).toThrow(expect.objectContaining({ code: 'INVALID_PLATFORM' }));
  });
});

describe('writeImage', () => {
  it('writes config and manifest that loadImage reads back', async () => {
    const { writeImage } = await import('@tsbuild/oci');
    const base = await storeTestImage(store, { layers: [{ a: '1' }] });
    const written = await writeImage(store, { config: { ...base.config, architecture: 'arm64' }, layers: base.manifest.layers });
    expect(written.descriptor.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    const loaded = await loadImage(store, written.descriptor.digest);
    expect(loaded.manifest).toEqual(written.manifest);
    expect(loaded.config.architecture).toBe('arm64');
    expect(loaded.manifest.mediaType).toBe(MediaTypes.ociManifest);
  });
});
