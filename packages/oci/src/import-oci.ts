import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import tar from 'tar-stream';

import type { ContentStore } from './content-store.js';
import { isDigest } from './digest.js';
import { reachableDescriptors } from './export/archive.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from './export/oci-archive.js';
import type { Descriptor, ImageIndex } from './types.js';

export interface ImportedImage {
  descriptor: Descriptor;
  /** The full name from io.containerd.image.name, else the bare org.opencontainers.image.ref.name. */
  name?: string;
}

const BLOB_NAME = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/;

/**
 * Copies an OCI image layout directory (what `skopeo copy … oci:DIR` writes) into the store,
 * verifying every blob, and returns the images its index.json lists.
 */
export async function importOciLayout(store: ContentStore, dir: string): Promise<ImportedImage[]> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  const names = await readdir(blobsDir).catch((error: Error) => {
    throw new TsbuildError('INVALID_OCI_LAYOUT', `${dir} is not an OCI image layout: ${error.message}`);
  });
  for (const name of names) {
    if (!/^[a-f0-9]{64}$/.test(name)) continue;
    await store.write(createReadStream(join(blobsDir, name)), { digest: `sha256:${name}` });
  }
  const indexText = await readFile(join(dir, 'index.json'), 'utf8').catch((error: Error) => {
    throw new TsbuildError('INVALID_OCI_LAYOUT', `${dir} is not an OCI image layout: ${error.message}`);
  });
  return finishImport(store, parseIndex(indexText, dir), dir);
}

/** The same from a tar of a layout (`type=oci` output, `skopeo copy … oci-archive:x.tar`), streamed. */
export async function importOciArchive(store: ContentStore, archivePath: string): Promise<ImportedImage[]> {
  const extract = tar.extract();
  let indexText: string | undefined;
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      const blob = BLOB_NAME.exec(name);
      if (blob && entry.header.type === 'file') {
        await store.write(entry as unknown as AsyncIterable<Uint8Array>, { digest: `sha256:${blob[1]}`, size: entry.header.size });
      } else if (name.replace(/^\.\//, '') === 'index.json') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        indexText = Buffer.concat(chunks).toString('utf8');
      } else {
        entry.resume();
      }
    }
  })();
  const file = createReadStream(archivePath);
  file.on('error', (error) => extract.destroy(error));
  file.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    await reading;
  } catch (error) {
    if (error instanceof TsbuildError) throw error;
    throw new TsbuildError('INVALID_OCI_LAYOUT', `cannot read OCI archive ${archivePath}: ${(error as Error).message}`, { cause: error });
  }
  if (indexText === undefined) throw new TsbuildError('INVALID_OCI_LAYOUT', `${archivePath} has no index.json: not an OCI image layout archive`);
  return finishImport(store, parseIndex(indexText, archivePath), archivePath);
}

function parseIndex(text: string, where: string): ImageIndex {
  try {
    const index = JSON.parse(text) as ImageIndex;
    if (!Array.isArray(index.manifests)) throw new Error('no manifests');
    return index;
  } catch (error) {
    throw new TsbuildError('INVALID_OCI_LAYOUT', `index.json of ${where} is not an image index: ${(error as Error).message}`);
  }
}

/** Checks every image is complete in the store and names it. */
async function finishImport(store: ContentStore, index: ImageIndex, where: string): Promise<ImportedImage[]> {
  const images: ImportedImage[] = [];
  for (const descriptor of index.manifests) {
    if (!isDigest(descriptor.digest)) throw new TsbuildError('INVALID_OCI_LAYOUT', `${where}: index.json names invalid digest '${descriptor.digest}'`);
    for (const child of await reachableDescriptors(store, descriptor)) {
      if (!(await store.has(child.digest))) {
        throw new TsbuildError('BLOB_NOT_FOUND', `${where} lacks blob ${child.digest} (${child.mediaType}) of image ${descriptor.digest}`);
      }
    }
    const name = descriptor.annotations?.[ANNOTATION_IMAGE_NAME] ?? descriptor.annotations?.[ANNOTATION_REF_NAME];
    images.push(name === undefined ? { descriptor } : { descriptor, name });
  }
  return images;
}
