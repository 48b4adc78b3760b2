import { writeImage, type ContentStore, type Descriptor, type ImageConfig, type LayerCompression, type WrittenImage } from '@tsbuild/oci';

import { compressedLayer, GZIP_LAYER, isPlainLayer, plainLayer, type ChunkConsumer, type ImageFormat } from '@tsbuild/snapshot';
import type { ImageState } from './layer-chain.js';

export interface FinalizeOptions {
  format: ImageFormat;
  /** Compress the layers built here (for a push or an export) so; false keeps them plain tars. */
  compression: LayerCompression | false;
  /** Handed the bytes of each layer compressed now (see compressLayer). */
  alsoTo?: ChunkConsumer;
  created: string;
}

const GZIP_TYPES = new Set<string>(Object.values(GZIP_LAYER));

/**
 * Writes the stage's result as an image: layers built here stay plain tars or are compressed
 * (once; the result is remembered), gzip layers of the base keep their bytes under the format's
 * media type, and the config gets its diff_ids and creation date.
 */
export async function finalizeImage(store: ContentStore, state: ImageState, options: FinalizeOptions): Promise<{ written: WrittenImage; config: ImageConfig }> {
  const layers: Descriptor[] = [];
  for (const layer of state.layers) layers.push(await blobFor(store, layer.blob, layer.diffId, options));
  const config: ImageConfig = {
    ...state.config,
    created: options.created,
    rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
  };
  const written = await writeImage(store, { config, layers, format: options.format });
  return { written, config };
}

async function blobFor(store: ContentStore, blob: Descriptor, diffId: string, options: FinalizeOptions): Promise<Descriptor> {
  if (GZIP_TYPES.has(blob.mediaType)) return { mediaType: GZIP_LAYER[options.format], digest: blob.digest, size: blob.size };
  if (isPlainLayer(blob.mediaType) && blob.digest === diffId) {
    return options.compression ? compressedLayer(store, diffId, options.format, options.compression, options.alsoTo) : plainLayer(diffId, blob.size, options.format);
  }
  // zstd and other layers keep their media type; docker format cannot name zstd, OCI can.
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}
