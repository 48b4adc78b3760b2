import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';
import { digestHex, withFileLock, type ContentStore } from '@tsbuild/oci';

import { throughCommand } from './command-stream.js';
import { parallelGzip } from './parallel-gzip.js';

/**
 * zlib level 4, not gzip's 6: on a 300 MB layer of binaries it is 40% faster (2.6 s against 4.2 s
 * on two cores) for 2.6% more bytes, and still 1.2% smaller than the blob buildah pushes for the
 * same layer (its pgzip default).
 */
export const DEFAULT_GZIP_LEVEL = 4;
/** zstd's own default: on two cores about 3x faster than our parallel gzip at level 4, and smaller. */
export const DEFAULT_ZSTD_LEVEL = 3;

export type CompressionAlgorithm = 'gzip' | 'zstd';

/** How layers leave the machine: gzip (the default, every tool reads it) or zstd (OCI only). */
export interface LayerCompression {
  algorithm: CompressionAlgorithm;
  /** gzip 1-9, zstd 1-19. */
  level: number;
}

export const COMPRESSION_LEVELS: Record<CompressionAlgorithm, { min: number; max: number; default: number }> = {
  gzip: { min: 1, max: 9, default: DEFAULT_GZIP_LEVEL },
  zstd: { min: 1, max: 19, default: DEFAULT_ZSTD_LEVEL },
};

export interface CompressOptions {
  /** gzip unless told. */
  algorithm?: CompressionAlgorithm;
  /** The algorithm's default level unless told. */
  level?: number;
}

export interface CompressedBlob {
  digest: string;
  size: number;
}

/**
 * The compressed blob of a stored layer tar, made once: the first call compresses the tar from
 * the store (streaming; gzip as blocks deflated in parallel into one member, zstd by the `zstd`
 * command on every core), stores the blob and records diffID → blob in `<store root>/compressed/`;
 * later calls return the record while its blob is still present.
 */
export async function compressLayer(store: ContentStore, diffId: string, options: CompressOptions = {}): Promise<CompressedBlob> {
  const algorithm = options.algorithm ?? 'gzip';
  const level = options.level ?? COMPRESSION_LEVELS[algorithm].default;
  const recordDir = path.join(store.root, 'compressed');
  const recordPath = path.join(recordDir, `${digestHex(diffId)}.${algorithm}-${level}.json`);
  const known = await readRecord(store, recordPath);
  if (known) return known;
  await mkdir(recordDir, { recursive: true });
  return withFileLock(`${recordPath}.lock`, async () => {
    const again = await readRecord(store, recordPath);
    if (again) return again;
    if (!(await store.has(diffId))) throw new TsbuildError('LAYER_NOT_FOUND', `layer ${diffId} is not in the content store`);
    const tar = store.createReadStream(diffId);
    const blob = await store.write(algorithm === 'zstd' ? zstdCompress(tar, level, diffId) : parallelGzip(tar, level));
    const temp = `${recordPath}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(blob));
    await rename(temp, recordPath);
    return blob;
  });
}

function zstdCompress(tar: Readable, level: number, diffId: string): Readable {
  return throughCommand(tar, { command: 'zstd', args: ['-c', '-q', '-T0', `-${level}`], doing: `compressing layer ${diffId}` });
}

async function readRecord(store: ContentStore, recordPath: string): Promise<CompressedBlob | undefined> {
  const text = await readFile(recordPath, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as CompressedBlob;
    return (await store.size(record.digest)) === record.size ? record : undefined;
  } catch {
    return undefined;
  }
}
