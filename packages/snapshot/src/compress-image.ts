import { TsbuildError } from '@tsbuild/errors';
import { DEFAULT_GZIP_LEVEL, isManifestMediaType, MediaTypes, type ContentStore, type Descriptor, type ImageManifest, type LayerCompression } from '@tsbuild/oci';
import { compressLayer } from './compress.js';
import type { ChunkConsumer } from './tee.js';

export type ImageFormat = 'oci' | 'docker';

const PLAIN_LAYER = { oci: MediaTypes.ociLayer, docker: MediaTypes.dockerLayer };
/** The gzip layer media type of each format. */
export const GZIP_LAYER = { oci: MediaTypes.ociLayerGzip, docker: MediaTypes.dockerLayerGzip };
const PLAIN_TYPES = new Set<string>(Object.values(PLAIN_LAYER));
export const GZIP: LayerCompression = { algorithm: 'gzip', level: DEFAULT_GZIP_LEVEL };

/** An uncompressed layer tar, under either format's name. */
export function isPlainLayer(mediaType: string): boolean {
  return PLAIN_TYPES.has(mediaType);
}

/** A layer built here, stored as a plain tar (its digest is its diffID). */
export function plainLayer(diffId: string, size: number, format: ImageFormat): Descriptor {
  return { mediaType: PLAIN_LAYER[format], digest: diffId, size };
}

/** The compressed blob of a plain layer: compressed once, then remembered by the snapshot package. */
export async function compressedLayer(store: ContentStore, diffId: string, format: ImageFormat, compression: LayerCompression, alsoTo?: ChunkConsumer): Promise<Descriptor> {
  const compressed = await compressLayer(store, diffId, { ...compression, ...(alsoTo ? { alsoTo } : {}) });
  return { mediaType: layerMediaType(format, compression), digest: compressed.digest, size: compressed.size };
}

function layerMediaType(format: ImageFormat, compression: LayerCompression): string {
  if (compression.algorithm === 'gzip') return GZIP_LAYER[format];
  if (format === 'docker') throw new TsbuildError('COMPRESSION_UNSUPPORTED', 'zstd layers need the OCI format: the docker format has no media type for them');
  return MediaTypes.ociLayerZstd;
}

/**
 * The image as it leaves the machine (push, export). Local images keep the layers built here as
 * plain tars, as buildah does, so a build that is not pushed never pays for compression; this
 * compresses them (once per layer and algorithm) into a manifest with the same config. Returns
 * `target` itself when nothing is plain, and an index unchanged. `alsoTo` is handed each layer
 * compressed now, as it is made (see compressLayer).
 */
export async function compressedImage(store: ContentStore, target: Descriptor, compression: LayerCompression = GZIP, alsoTo?: ChunkConsumer): Promise<Descriptor> {
  if (!isManifestMediaType(target.mediaType)) return target;
  const manifest = await store.readJson<ImageManifest>(target.digest);
  if (!manifest.layers.some((layer) => isPlainLayer(layer.mediaType))) return target;
  const format: ImageFormat = manifest.mediaType === MediaTypes.dockerManifest ? 'docker' : 'oci';
  const layers: Descriptor[] = [];
  for (const layer of manifest.layers) {
    layers.push(isPlainLayer(layer.mediaType) ? await compressedLayer(store, layer.digest, format, compression, alsoTo) : layer);
  }
  const bytes = Buffer.from(JSON.stringify({ ...manifest, layers }));
  const written = await store.write(bytes);
  return { ...target, digest: written.digest, size: written.size };
}
