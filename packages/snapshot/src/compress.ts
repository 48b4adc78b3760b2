import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

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
  const { algorithm, level } = resolved(options);
  const recordPath = recordPathOf(store, diffId, algorithm, level);
  const known = await readRecord(store, recordPath);
  if (known) return known;
  await mkdir(path.dirname(recordPath), { recursive: true });
  return withFileLock(`${recordPath}.lock`, async () => {
    const again = await readRecord(store, recordPath);
    if (again) return again;
    if (!(await store.has(diffId))) throw new TsbuildError('LAYER_NOT_FOUND', `layer ${diffId} is not in the content store`);
    const blob = await storeCompressed(store, store.createReadStream(diffId), algorithm, level, diffId, options.alsoTo);
    await writeRecord(recordPath, blob);
    return blob;
  });
}

/**
 * Compresses a layer tar while it is being written (a layer this build makes for a push), so it
 * is neither read back nor waited for afterwards: `consume` takes the tar's bytes as they are
 * made (see teeTo), `record` files the blob under the diffID once the tar's digest is known. A
 * compression that failed records nothing; compressLayer then does it from the store.
 */
export class LayerCompressor {
  private blob: CompressedBlob | undefined;

  constructor(
    private readonly store: ContentStore,
    private readonly options: CompressOptions,
  ) {}

  readonly consume: ChunkConsumer = async (tar) => {
    const { algorithm, level } = resolved(this.options);
    this.blob = await storeCompressed(this.store, tar, algorithm, level, 'being written', this.options.alsoTo);
  };

  async record(diffId: string): Promise<void> {
    if (!this.blob) return;
    const { algorithm, level } = resolved(this.options);
    const recordPath = recordPathOf(this.store, diffId, algorithm, level);
    await mkdir(path.dirname(recordPath), { recursive: true });
    await writeRecord(recordPath, this.blob);
  }
}

function resolved(options: CompressOptions): { algorithm: CompressionAlgorithm; level: number } {
  const algorithm = options.algorithm ?? 'gzip';
  return { algorithm, level: options.level ?? COMPRESSION_LEVELS[algorithm].default };
}

function recordPathOf(store: ContentStore, diffId: string, algorithm: CompressionAlgorithm, level: number): string {
  return path.join(store.root, 'compressed', `${digestHex(diffId)}.${algorithm}-${level}.json`);
}

/** Written whole or not at all: a reader never sees half a record. */
async function writeRecord(recordPath: string, blob: CompressedBlob): Promise<void> {
  const temp = `${recordPath}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(blob));
  await rename(temp, recordPath);
}

async function storeCompressed(store: ContentStore, tar: AsyncIterable<Buffer>, algorithm: CompressionAlgorithm, level: number, diffId: string, alsoTo: ChunkConsumer | undefined): Promise<CompressedBlob> {
  const compressed = algorithm === 'zstd' ? zstdCompress(tar, level, diffId) : parallelGzip(tar, level);
  return store.write(alsoTo ? teeTo(compressed, alsoTo) : compressed);
}

function zstdCompress(tar: AsyncIterable<Buffer>, level: number, diffId: string): Readable {
  return throughCommand(tar instanceof Readable ? tar : Readable.from(tar), { command: 'zstd', args: ['-c', '-q', '-T0', `-${level}`], doing: `compressing layer ${diffId}` });
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
