import { TsbuildError } from '@tsbuild/errors';

import type { ContentStore } from './content-store.js';
import { detectManifestMediaType, isIndexMediaType, isManifestMediaType } from './media.js';
import { formatPlatform, hostPlatform, normalizePlatform, platformMatches } from './platform.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from './types.js';

export interface LoadedImage {
  /** The descriptor of the platform manifest that was chosen. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The index (or Docker manifest list) the manifest was chosen from, when there was one. */
  index?: { descriptor: Descriptor; index: ImageIndex };
}

/**
 * Reads an image from the content store: a manifest, or an index from which the manifest for
 * `platform` (default linux on the host architecture) is picked. Everything read is verified.
 */
export async function loadImage(store: ContentStore, target: Descriptor | string, platform: Platform = hostPlatform()): Promise<LoadedImage> {
  const top = typeof target === 'string' ? await describeDocument(store, target) : target;
  let descriptor = top;
  let document = await readDocument<ImageManifest & ImageIndex>(store, top);
  let index: LoadedImage['index'];
  // Indexes may nest (an index pointing at an index); follow them down to a manifest.
  for (let depth = 0; isIndexMediaType(descriptor.mediaType); depth++) {
    if (depth > 4) throw new TsbuildError('INVALID_MANIFEST', `index ${top.digest} nests too deeply`);
    index ??= { descriptor, index: document };
    descriptor = selectManifest(document, descriptor, platform);
    document = await readDocument<ImageManifest & ImageIndex>(store, descriptor);
  }
  if (!isManifestMediaType(descriptor.mediaType)) {
    throw new TsbuildError('UNSUPPORTED_MEDIA_TYPE', `${descriptor.digest} is a '${descriptor.mediaType}', not an image manifest or index`);
  }
  const manifest = document as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new TsbuildError('INVALID_MANIFEST', `manifest ${descriptor.digest} has no config or layers`);
  }
  const config = await readDocument<ImageConfig>(store, manifest.config);
  return index ? { descriptor, manifest, config, index } : { descriptor, manifest, config };
}

/** Reads and parses a JSON blob, checking both its digest and the size the descriptor claims. */
export async function readDocument<T>(store: ContentStore, descriptor: Descriptor): Promise<T> {
  const bytes = await store.readBytes(descriptor.digest);
  if (bytes.length !== descriptor.size) {
    throw new TsbuildError('SIZE_MISMATCH', `blob ${descriptor.digest} is ${bytes.length} bytes, its descriptor says ${descriptor.size}`);
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new TsbuildError('INVALID_JSON', `blob ${descriptor.digest} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A descriptor for a manifest or index known only by digest, from its stored bytes. */
export async function describeDocument(store: ContentStore, digest: string): Promise<Descriptor> {
  const bytes = await store.readBytes(digest);
  let document: Partial<ImageManifest & ImageIndex>;
  try {
    document = JSON.parse(bytes.toString('utf8')) as Partial<ImageManifest & ImageIndex>;
  } catch {
    throw new TsbuildError('INVALID_MANIFEST', `blob ${digest} is not a manifest or index (not JSON)`);
  }
  const mediaType = detectManifestMediaType(document);
  if (mediaType === undefined) throw new TsbuildError('INVALID_MANIFEST', `blob ${digest} is not a manifest or index`);
  return { mediaType, digest, size: bytes.length };
}

/**
 * The entry of an index for `platform`: attestation manifests are skipped, an exact variant match
 * wins over a manifest with no variant.
 */
export function selectManifest(index: ImageIndex, indexDescriptor: Descriptor, platform: Platform): Descriptor {
  const wanted = normalizePlatform(platform);
  const images = index.manifests.filter(
    (m) => (isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType)) && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  const matching = images.filter((m) => m.platform !== undefined && platformMatches(m.platform, wanted));
  const exact = matching.find((m) => m.platform && normalizePlatform(m.platform).variant === wanted.variant);
  const chosen = exact ?? matching[0] ?? (images.length === 1 && images[0]?.platform === undefined ? images[0] : undefined);
  if (chosen) return chosen;
  const available = images.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ') || 'none';
  throw new TsbuildError(
    'PLATFORM_NOT_FOUND',
    `no image for ${formatPlatform(wanted)} in index ${indexDescriptor.digest} (available: ${available})`,
  );
}
