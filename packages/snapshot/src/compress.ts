import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';
import { COMPRESSION_LEVELS, digestHex, withFileLock, type CompressionAlgorithm, type ContentStore } from '@tsbuild/oci';

import { throughCommand } from './command-stream.js';
import { parallelGzip } from './parallel-gzip.js';
import { teeTo, type ChunkConsumer } from './tee.js';

export interface CompressOptions {
  /** gzip unless told. */
  algorithm?: CompressionAlgorithm;
  /** The algorithm's default level unless told. */
  level?: number;
  /** Also handed the compressed bytes as they are made (an upload started alongside), only when compressing now. */
  alsoTo?: ChunkConsumer;
}

export interface CompressedBlob {
  digest: string;
  size: number;
}

/**
 * The compressed blob of a stored layer tar, made once: the first call compresses the tar from
 * the store (streaming; gzip as blocks deflated in parallel into one member, zstd by the `zstd`
 * command on every core), stores the blob and records diffID → blob in `<store root>/compressed/`;
 * later calls return the record while its blob is still present. `alsoTo` gets the bytes as they
 * are made (a push streams them to the registry) and is waited for before this returns.
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
    const compressed = algorithm === 'zstd' ? zstdCompress(tar, level, diffId) : parallelGzip(tar, level);
    const blob = await store.write(options.alsoTo ? teeTo(compressed, options.alsoTo) : compressed);
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
