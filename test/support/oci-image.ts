import { gzipSync } from 'node:zlib';

import tar from 'tar-stream';

import { MediaTypes, sha256Digest, type ContainerConfig, type ContentStore, type Descriptor, type ImageConfig, type ImageManifest } from '@tsbuild/oci';

/** Files of a test layer: path → content (directories are created implicitly by the tar). */
export type LayerFiles = Record<string, string>;

export interface TestLayer {
  tar: Buffer;
  gzip: Buffer;
  diffId: string;
  descriptor: Descriptor;
}

/** A small layer tar built with tar-stream, gzipped with zlib. */
export async function makeLayer(files: LayerFiles, mediaType: string = MediaTypes.ociLayerGzip): Promise<TestLayer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const [name, content] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content, (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  const tarBytes = Buffer.concat(chunks);
  const gzip = gzipSync(tarBytes);
  return { tar: tarBytes, gzip, diffId: sha256Digest(tarBytes), descriptor: { mediaType, digest: sha256Digest(gzip), size: gzip.length } };
}

export interface TestImage {
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: TestLayer[];
}

export interface TestImageOptions {
  layers: LayerFiles[];
  /** `oci` (default) or `docker` schema-2 media types. */
  format?: 'oci' | 'docker';
  config?: ContainerConfig;
  architecture?: string;
  /** Layers stored as plain tars (as tsbuild keeps the layers it builds) instead of gzip. */
  plain?: boolean;
}

/** Stores an image (layers, config, manifest) in `store` and returns its manifest descriptor. */
export async function storeTestImage(store: ContentStore, options: TestImageOptions): Promise<TestImage> {
  const docker = options.format === 'docker';
  const layers: TestLayer[] = [];
  for (const files of options.layers) {
    const made = await makeLayer(files, docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip);
    const plainType = docker ? MediaTypes.dockerLayer : MediaTypes.ociLayer;
    const layer = options.plain ? { ...made, descriptor: { mediaType: plainType, digest: made.diffId, size: made.tar.length } } : made;
    await store.write(options.plain ? layer.tar : layer.gzip, { digest: layer.descriptor.digest, size: layer.descriptor.size });
    layers.push(layer);
  }
  const config: ImageConfig = {
    created: '2024-01-01T00:00:00Z',
    architecture: options.architecture ?? 'amd64',
    os: 'linux',
    config: options.config ?? { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `test layer ${i}` })),
  };
  const configDescriptor = await storeJson(store, config, docker ? MediaTypes.dockerConfig : MediaTypes.ociConfig);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
  };
  const descriptor = await storeJson(store, manifest, manifest.mediaType as string);
  return { descriptor, manifest, config, layers };
}

export async function storeJson(store: ContentStore, value: unknown, mediaType: string): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const info = await store.write(bytes);
  return { mediaType, digest: info.digest, size: info.size };
}
