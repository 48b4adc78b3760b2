import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { ContentStore, ImageStore, MediaTypes, sha256Digest, writeImage, type Descriptor, type ImageConfig } from '@tsbuild/oci';

import { repoRoot } from './paths.js';

/** The busybox base rootfs tar (from Debian's busybox-static), made once per machine by the repo's script. */
export function busyboxRootfsTar(): Buffer {
  const path = join(tmpdir(), `tsbuild-test-busybox-rootfs-${process.getuid?.() ?? 0}.tar`);
  if (!existsSync(path)) execFileSync(join(repoRoot, 'scripts/make-busybox-rootfs.sh'), [path]);
  return readFileSync(path);
}

/**
 * Stores the busybox base image in the tsbuild root `root` and names it `docker.io/library/busybox:latest`
 * (and any `names` given), so `FROM busybox` resolves locally without a registry.
 */
export async function storeBusybox(root: string, names: string[] = []): Promise<{ descriptor: Descriptor; diffId: string }> {
  const store = new ContentStore(root);
  const tar = busyboxRootfsTar();
  const gzip = gzipSync(tar);
  const diffId = sha256Digest(tar);
  const info = await store.write(gzip);
  const config: ImageConfig = {
    created: '1970-01-01T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'ADD rootfs.tar / # busybox-static' }],
  };
  const image = await writeImage(store, { config, layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: info.digest, size: info.size }] });
  const images = new ImageStore(root);
  for (const name of ['busybox:latest', ...names]) await images.tag(name, image.descriptor);
  return { descriptor: image.descriptor, diffId };
}
