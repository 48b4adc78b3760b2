import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { TsbuildError } from '@tsbuild/errors';

import type { ContentStore } from '../content-store.js';
import { writeFileAtomically } from '../image-store.js';
import { blobPathInArchive, reachableDescriptors } from './archive.js';
import { ociIndexFor, type ExportImage } from './oci-archive.js';

/**
 * `--output type=oci,dest=DIR,tar=false`: the OCI image layout as a directory. Blobs already in
 * DIR with the right size are kept (a layout can collect several exports); each new blob is
 * streamed, verified, to a temp file and renamed; index.json is replaced last.
 */
export async function writeOciLayout(store: ContentStore, images: ExportImage | ExportImage[], dir: string): Promise<void> {
  const list = Array.isArray(images) ? images : [images];
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const image of list) {
      for (const descriptor of await reachableDescriptors(store, image.target)) {
        const path = join(dir, blobPathInArchive(descriptor.digest));
        const existing = await stat(path).catch(() => undefined);
        if (existing?.size === descriptor.size) continue;
        await copyBlob(store, descriptor.digest, path);
      }
    }
    await writeFileAtomically(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFileAtomically(join(dir, 'index.json'), JSON.stringify(ociIndexFor(list)));
  } catch (error) {
    if (error instanceof TsbuildError) throw error;
    throw new TsbuildError('EXPORT_FAILED', `cannot write OCI layout ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

async function copyBlob(store: ContentStore, digest: string, path: string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    await pipeline(store.createReadStream(digest), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}
