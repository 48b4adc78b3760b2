import type { Readable } from 'node:stream';

import type { ContentStore } from '../content-store.js';
import { parseReference, type Reference } from '../reference.js';
import { MediaTypes, type Descriptor, type ImageIndex } from '../types.js';
import { archiveStream, reachableDescriptors, writeArchiveFile } from './archive.js';

export interface ExportImage {
  /** The image's manifest or index, already in the content store. */
  target: Descriptor;
  /** Names to record for it (`busybox:latest`, full references or References). */
  names?: Array<Reference | string>;
}

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';

/**
 * `--output type=oci`: an OCI image layout (oci-layout, index.json, blobs/sha256/…) as a tar stream.
 * Like BuildKit and containerd, each name gets an index.json entry annotated with the full name
 * (io.containerd.image.name) and the tag alone (org.opencontainers.image.ref.name).
 */
export function ociArchiveStream(store: ContentStore, images: ExportImage | ExportImage[]): Readable {
  const list = Array.isArray(images) ? images : [images];
  return archiveStream(async (archive) => {
    await archive.file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await archive.directory('blobs/');
    await archive.directory('blobs/sha256/');
    for (const image of list) {
      for (const descriptor of await reachableDescriptors(store, image.target)) await archive.blob(store, descriptor);
    }
    await archive.json('index.json', ociIndexFor(list));
  });
}

export async function writeOciArchive(store: ContentStore, images: ExportImage | ExportImage[], dest: string): Promise<void> {
  await writeArchiveFile(ociArchiveStream(store, images), dest);
}

/** The layout's index.json: one entry per image name (or one unnamed entry). */
export function ociIndexFor(images: ExportImage[]): ImageIndex {
  const manifests: Descriptor[] = [];
  for (const image of images) {
    const names = (image.names ?? []).map((n) => (typeof n === 'string' ? parseReference(n) : n));
    if (names.length === 0) manifests.push(plainDescriptor(image.target));
    for (const name of names) {
      const annotations: Record<string, string> = { [ANNOTATION_IMAGE_NAME]: name.toString() };
      if (name.tag !== undefined) annotations[ANNOTATION_REF_NAME] = name.tag;
      manifests.push({ ...plainDescriptor(image.target), annotations: { ...image.target.annotations, ...annotations } });
    }
  }
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
}

function plainDescriptor(d: Descriptor): Descriptor {
  const result: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations) result.annotations = d.annotations;
  if (d.platform) result.platform = d.platform;
  return result;
}
