import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import { gunzipStream, MediaTypes, writeImage, writeOciLayout, type ContentStore, type Descriptor, type ImageIndex, type ImageManifest } from '@tsbuild/oci';
import type { RegistryClient } from '@tsbuild/registry';
import { compressLayer } from '@tsbuild/snapshot';

import type { CacheRef } from './cache-ref.js';
import type { CachedStep, StepCache } from './step-cache.js';

/** One step result shared through a cache export: its key, what it produced, and its gzip blob. */
export interface ExportedRecord {
  key: string;
  diffId?: string;
  size: number;
  created: string;
  blob?: Descriptor;
}

/** The config blob of a cache artifact: every record it carries. */
interface CacheConfig {
  tsbuildCache: 1;
  records: ExportedRecord[];
}

const CACHE_TAG = 'cache';

/**
 * Writes step records and their layers as an OCI artifact (an image manifest whose config lists
 * the records and whose layers are the records' gzip blobs), to a registry or an OCI layout dir.
 */
export async function exportCache(store: ContentStore, records: Array<{ key: string; record: CachedStep }>, target: CacheRef, registry: RegistryClient): Promise<Descriptor> {
  const exported: ExportedRecord[] = [];
  const layers: Descriptor[] = [];
  for (const { key, record } of records) {
    if (!record.diffId) {
      exported.push({ key, size: record.size, created: record.created });
      continue;
    }
    const gz = await compressLayer(store, record.diffId);
    const blob = { mediaType: MediaTypes.ociLayerGzip, digest: gz.digest, size: gz.size };
    if (!layers.some((l) => l.digest === blob.digest)) layers.push(blob);
    exported.push({ key, diffId: record.diffId, size: record.size, created: record.created, blob });
  }
  const config: CacheConfig & { architecture: string; os: string; rootfs: { type: 'layers'; diff_ids: string[] } } = {
    tsbuildCache: 1,
    records: exported,
    // Registries and tools read this as an image config; these fields keep them content.
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => exported.find((r) => r.blob?.digest === l.digest)!.diffId!) },
  };
  const image = await writeImage(store, { config: config as never, layers });
  if (target.type === 'local') await writeOciLayout(store, { target: image.descriptor, names: [CACHE_TAG] }, target.dir);
  else await registry.push(image.descriptor, target.ref);
  return image.descriptor;
}

/** A cache source read for a build: its records by key; layers are fetched only for hits. */
export class ImportedCache {
  private constructor(
    private readonly records: Map<string, ExportedRecord>,
    private readonly fetchBlob: (blob: Descriptor) => Promise<void>,
  ) {}

  static async open(source: CacheRef, registry: RegistryClient): Promise<ImportedCache> {
    const store = registry.store;
    if (source.type === 'local') {
      // Every document and blob of the layout goes through the store, which verifies its digest.
      const copy = (blob: Pick<Descriptor, 'digest' | 'size'>) => store.write(createReadStream(blobFile(source.dir, blob.digest)), { digest: blob.digest, size: blob.size });
      const entry = await localEntry(source.dir);
      await copy(entry);
      const manifest = await store.readJson<ImageManifest>(entry.digest);
      await copy(manifest.config);
      const config = await store.readJson<CacheConfig>(manifest.config.digest);
      return new ImportedCache(indexRecords(config), async (blob) => void (await copy(blob)));
    }
    let fetched;
    try {
      fetched = await registry.resolveManifest(source.ref);
    } catch (error) {
      if (error instanceof TsbuildError && error.code === 'REGISTRY_NOT_FOUND') return new ImportedCache(new Map(), async () => undefined);
      throw error;
    }
    await registry.fetchBlobs(fetched.reference, [fetched.manifest.config]);
    const config = await store.readJson<CacheConfig>(fetched.manifest.config.digest);
    return new ImportedCache(indexRecords(config), (blob) => registry.fetchBlobs(fetched.reference, [blob]));
  }

  get size(): number {
    return this.records.size;
  }

  /**
   * The record for `key` with its layer made available in `cache`'s store as an uncompressed tar
   * (verified against the diffID), or undefined.
   */
  async take(key: string, store: ContentStore, cache: StepCache): Promise<CachedStep | undefined> {
    const record = this.records.get(key);
    if (!record) return undefined;
    if (record.diffId && record.blob && !(await store.has(record.diffId))) {
      await this.fetchBlob(record.blob);
      await store.write(store.createReadStream(record.blob.digest).pipe(gunzipStream()), { digest: record.diffId });
    }
    const local: CachedStep = { ...(record.diffId ? { diffId: record.diffId } : {}), size: record.size, created: record.created };
    await cache.put(key, local);
    return local;
  }
}

function indexRecords(config: CacheConfig): Map<string, ExportedRecord> {
  if (config.tsbuildCache !== 1 || !Array.isArray(config.records)) {
    throw new TsbuildError('INVALID_CACHE', 'the cache source is not a tsbuild cache (no tsbuildCache records in its config)');
  }
  return new Map(config.records.map((r) => [r.key, r]));
}

function blobFile(dir: string, digest: string): string {
  return path.join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

async function localEntry(dir: string): Promise<Descriptor> {
  let index: ImageIndex;
  try {
    index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
  } catch (error) {
    throw new TsbuildError('INVALID_CACHE', `cannot read the cache in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === CACHE_TAG) ?? index.manifests[0];
  if (!entry) throw new TsbuildError('INVALID_CACHE', `the cache in ${dir} holds no manifest`);
  return entry;
}
