import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

import tar from 'tar-stream';

import { loadImage, type ContentStore, type Descriptor, type ImageConfig, type ImageManifest } from '@tsbuild/oci';

export interface LayerEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  /** Device numbers as "major:minor" (device nodes only). */
  device?: string;
  /** File content as UTF-8 (regular files only). */
  content?: string;
}

/** Every entry of a (gzip or plain) layer blob, in tar order. */
export async function layerEntries(store: ContentStore, layer: Descriptor): Promise<LayerEntry[]> {
  const raw = store.createReadStream(layer.digest);
  const input: Readable = layer.mediaType.endsWith('gzip') ? raw.pipe(createGunzip()) : raw;
  const extract = tar.extract();
  const entries: LayerEntry[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      entries.push({
        name: h.name,
        type: h.type ?? 'file',
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        ...(h.linkname ? { linkname: h.linkname } : {}),
        ...(h.type === 'character-device' || h.type === 'block-device' ? { device: `${h.devmajor}:${h.devminor}` } : {}),
        ...(h.type === 'file' ? { content: Buffer.concat(chunks).toString('utf8') } : {}),
      });
    }
  })();
  input.pipe(extract);
  await done;
  return entries;
}

export interface BuiltImage {
  manifest: ImageManifest;
  config: ImageConfig;
  /** Entry names of each layer. */
  layers: LayerEntry[][];
}

export async function readBuiltImage(store: ContentStore, descriptor: Descriptor): Promise<BuiltImage> {
  const image = await loadImage(store, descriptor);
  const layers: LayerEntry[][] = [];
  for (const layer of image.manifest.layers) layers.push(await layerEntries(store, layer));
  return { manifest: image.manifest, config: image.config, layers };
}
