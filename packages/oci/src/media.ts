import { MediaTypes, type ImageIndex, type ImageManifest } from './types.js';

const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_TYPES.has(mediaType);
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_TYPES.has(mediaType);
}

/**
 * The media type of a manifest or index document: its `mediaType` field, else (OCI makes it
 * optional) guessed from its shape.
 */
export function detectManifestMediaType(document: Partial<ImageManifest & ImageIndex>): string | undefined {
  if (typeof document.mediaType === 'string') return document.mediaType;
  if (Array.isArray(document.manifests)) return MediaTypes.ociIndex;
  if (document.config !== undefined && Array.isArray(document.layers)) return MediaTypes.ociManifest;
  return undefined;
}
