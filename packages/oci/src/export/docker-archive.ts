import type { Readable } from 'node:stream';

import type { ContentStore } from '../content-store.js';
import { loadImage } from '../load-image.js';
import { hostPlatform } from '../platform.js';
import { parseReference } from '../reference.js';
import type { Platform } from '../types.js';
import { archiveStream, writeArchiveFile } from './archive.js';
import { ociIndexFor, type ExportImage } from './oci-archive.js';

/** One entry of a `docker save` manifest.json. */
export interface DockerArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

export interface DockerArchiveOptions {
  /** The platform picked from multi-platform images (default: linux on the host architecture). */
  platform?: Platform;
}

/**
 * `--output type=docker`: what `docker load` accepts. manifest.json (Config, RepoTags, Layers)
 * names blobs stored as blobs/sha256/<hex>, the layout docker 25+ writes, which also carries
 * oci-layout and index.json so the archive is an OCI layout too. Indexes are resolved to one platform.
 */
export function dockerArchiveStream(store: ContentStore, images: ExportImage | ExportImage[], options: DockerArchiveOptions = {}): Readable {
  const list = Array.isArray(images) ? images : [images];
  const platform = options.platform ?? hostPlatform();
  return archiveStream(async (archive) => {
    await archive.file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await archive.directory('blobs/');
    await archive.directory('blobs/sha256/');
    const manifestJson: DockerArchiveManifestEntry[] = [];
    const resolved: ExportImage[] = [];
    for (const image of list) {
      const loaded = await loadImage(store, image.target, platform);
      await archive.blob(store, loaded.descriptor);
      const config = await archive.blob(store, loaded.manifest.config);
      const layers: string[] = [];
      for (const layer of loaded.manifest.layers) layers.push(await archive.blob(store, layer));
      const tags = (image.names ?? [])
        .map((n) => (typeof n === 'string' ? parseReference(n) : n))
        .filter((n) => n.tag !== undefined)
        .map((n) => `${n.familiarName}:${n.tag}`);
      manifestJson.push({ Config: config, RepoTags: tags.length > 0 ? tags : null, Layers: layers });
      resolved.push({ target: loaded.descriptor, names: image.names ?? [] });
    }
    await archive.json('index.json', ociIndexFor(resolved));
    await archive.json('manifest.json', manifestJson);
  });
}

export async function writeDockerArchive(
  store: ContentStore,
  images: ExportImage | ExportImage[],
  dest: string,
  options: DockerArchiveOptions = {},
): Promise<void> {
  await writeArchiveFile(dockerArchiveStream(store, images, options), dest);
}
