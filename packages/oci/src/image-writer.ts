import type { ContentStore } from './content-store.js';
import { sha256Digest } from './digest.js';
import { MediaTypes, type Descriptor, type ImageConfig, type ImageManifest } from './types.js';

/** Stores `value` as canonical-enough JSON (JSON.stringify, no whitespace) and describes it. */
export async function writeJsonBlob(store: ContentStore, value: unknown, mediaType: string): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  // With the digest known up front, a blob already stored (an unchanged rebuild) is not rewritten.
  const info = await store.write(bytes, { digest: sha256Digest(bytes), size: bytes.byteLength });
  return { mediaType, digest: info.digest, size: info.size };
}

export interface NewImage {
  config: ImageConfig;
  /** Layer descriptors, in order; their blobs must already be in the store. */
  layers: Descriptor[];
  /** `oci` (default) or `docker` schema-2 media types for the manifest and config. */
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
}

export interface WrittenImage {
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: Descriptor;
}

/** Writes an image's config and manifest to the store; the returned descriptor names the image. */
export async function writeImage(store: ContentStore, image: NewImage): Promise<WrittenImage> {
  const docker = image.format === 'docker';
  const config = await writeJsonBlob(store, image.config, docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
    config,
    layers: image.layers,
  };
  if (image.annotations && !docker) manifest.annotations = image.annotations;
  const descriptor = await writeJsonBlob(store, manifest, manifest.mediaType as string);
  descriptor.platform = { os: image.config.os, architecture: image.config.architecture };
  if (image.config.variant) descriptor.platform.variant = image.config.variant;
  return { descriptor, manifest, config };
}
