import { randomUUID } from 'node:crypto';
import { createReadStream as createFileReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';

import { assertDigest, Digester, digestHex, sha256Digest } from './digest.js';
import { processAlive } from './process.js';
import { isAllZero } from './zeros.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface ExpectedBlob {
  digest?: string;
  size?: number;
}

/** Larger reads than Node's 64 KiB default: fewer hash and tar calls per layer, memory still flat. */
const READ_CHUNK_BYTES = 1024 * 1024;

export type BlobSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream | Uint8Array;

/**
 * Content-addressed blobs on disk: `<root>/content/blobs/sha256/<hex>`. A blob only ever appears
 * there complete and verified (written to `<root>/content/ingest/`, checked, fsynced, renamed), and
 * every read is checked again against its digest, so a corrupted file is noticed, not used.
 */
export class ContentStore {
  readonly root: string;
  private readonly blobsDir: string;
  private readonly ingestDir: string;

  constructor(root: string) {
    this.root = root;
    this.blobsDir = join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = join(root, 'content', 'ingest');
  }

  /** Where a blob lives (whether or not it is present). */
  blobPath(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  async size(digest: string): Promise<number | undefined> {
    const path = this.blobPath(digest);
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw ioError(`cannot stat blob ${digest}`, error);
    }
  }

  /**
   * The blob's bytes as a stream that checks them as they pass: if they do not hash to `digest`
   * the stream fails with DIGEST_MISMATCH instead of ending (BLOB_NOT_FOUND if it is absent).
   */
  createReadStream(digest: string): Readable {
    const verifier = new VerifyingStream(digest);
    let path: string;
    try {
      path = this.blobPath(digest);
    } catch (error) {
      process.nextTick(() => verifier.destroy(error as Error));
      return verifier;
    }
    const file = createFileReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    file.on('error', (error) => verifier.destroy(readError(digest, error)));
    verifier.on('close', () => file.destroy());
    file.pipe(verifier);
    return verifier;
  }

  /** The whole blob, verified. For manifests and configs; stream layers with createReadStream. */
  async readBytes(digest: string): Promise<Buffer> {
    const path = this.blobPath(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw readError(digest, error);
    }
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw corruptError(digest, actual);
    return bytes;
  }

  async readJson<T>(digest: string): Promise<T> {
    const bytes = await this.readBytes(digest);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (error) {
      throw new TsbuildError('INVALID_JSON', `blob ${digest} is not valid JSON: ${(error as Error).message}`);
    }
  }

  /**
   * Stores a blob. The bytes go to a private temp file while being hashed and counted; only if
   * they match `expected` are they fsynced and renamed into place, so a failed or interrupted
   * write leaves nothing under blobs/, and concurrent writers of one blob each rename a complete
   * copy. A blob already present is not rewritten: the source is drained and the blob returned.
   */
  async write(source: BlobSource, expected: ExpectedBlob = {}): Promise<BlobInfo> {
    if (expected.digest !== undefined) {
      assertDigest(expected.digest);
      const present = await this.size(expected.digest);
      if (present !== undefined) {
        await drain(source);
        if (expected.size !== undefined && expected.size !== present) throw sizeError(expected.digest, expected.size, present);
        return { digest: expected.digest, size: present };
      }
    }
    await mkdirOrThrow(this.ingestDir);
    // The writer's pid in the name lets a later process tell a dead writer's leftover from a live write.
    const tempPath = join(this.ingestDir, `${process.pid}-${randomUUID()}`);
    let handle: FileHandle | undefined;
    let renamed = false;
    try {
      handle = await open(tempPath, 'wx', 0o644);
      const digester = new Digester();
      // Layer tars arrive in many small chunks (a 512-byte header per file): write them in batches.
      const batch = new WriteBatch(handle);
      for await (const chunk of chunksOf(source, expected.digest ? `blob ${expected.digest}` : 'blob')) {
        digester.update(chunk);
        if (expected.size !== undefined && digester.size > expected.size) {
          throw sizeError(expected.digest ?? 'blob', expected.size, `more than ${expected.size}`);
        }
        await batch.add(chunk);
      }
      await batch.flush(true);
      await handle.sync();
      await handle.close();
      handle = undefined;
      const info = { digest: digester.digest(), size: digester.size };
      if (expected.size !== undefined && info.size !== expected.size) throw sizeError(expected.digest ?? info.digest, expected.size, info.size);
      if (expected.digest !== undefined && info.digest !== expected.digest) {
        throw new TsbuildError('DIGEST_MISMATCH', `digest mismatch: expected ${expected.digest}, got ${info.digest}`);
      }
      await mkdirOrThrow(this.blobsDir);
      await rename(tempPath, this.blobPath(info.digest));
      renamed = true;
      await syncDirectory(this.blobsDir);
      return info;
    } catch (error) {
      if (error instanceof TsbuildError) throw error;
      throw ioError(`cannot write blob${expected.digest ? ` ${expected.digest}` : ''} to ${this.ingestDir}`, error);
    } finally {
      await handle?.close().catch(() => undefined);
      if (!renamed) await rm(tempPath, { force: true }).catch(() => undefined);
    }
  }

  /** Removes a blob; removing an absent blob is not an error. */
  async delete(digest: string): Promise<void> {
    const path = this.blobPath(digest);
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw ioError(`cannot delete blob ${digest}`, error);
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw ioError(`cannot list ${this.blobsDir}`, error);
    }
    for (const name of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const digest = `sha256:${name}`;
      const size = await this.size(digest);
      if (size !== undefined) yield { digest, size };
    }
  }

  /**
   * Removes temp files left by interrupted writes: those of processes that no longer exist at
   * once, others (a live writer, or a name without a pid) only when older than `olderThanMs`.
   */
  async cleanIngest(olderThanMs = 60 * 60 * 1000): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.ingestDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 0;
      throw ioError(`cannot list ${this.ingestDir}`, error);
    }
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const path = join(this.ingestDir, name);
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      const deadWriter = Number.isInteger(pid) && pid !== process.pid && !processAlive(pid);
      const info = deadWriter ? undefined : await stat(path).catch(() => undefined);
      if (deadWriter || (info && info.mtimeMs < cutoff)) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** Passes bytes through and fails at the end if they do not hash to the expected digest. */
class VerifyingStream extends Transform {
  private readonly digester = new Digester();

  constructor(private readonly expected: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.digester.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.digester.digest();
    callback(actual === this.expected ? null : corruptError(this.expected, actual));
  }
}

/** The source's chunks as bytes; a failing source (a dropped download) becomes BLOB_SOURCE_FAILED. */
async function* chunksOf(source: BlobSource, what: string): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  const iterator = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (error instanceof TsbuildError) throw error;
        throw new TsbuildError('BLOB_SOURCE_FAILED', `reading ${what} failed: ${(error as Error).message}`, { cause: error });
      }
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

async function drain(source: BlobSource): Promise<void> {
  if (source instanceof Uint8Array) return;
  for await (const _chunk of source as AsyncIterable<unknown>) {
    // discard: the blob is already stored
  }
}

/** Runs of zeros at least this long are left as holes (a filesystem block is 4 KiB). */
const HOLE_BYTES = 64 * 1024;

/**
 * Gathers small chunks into one write of about a MiB. A batch of nothing but zeros is not
 * written but skipped over, so a layer holding a sparse file stays sparse in the store.
 */
class WriteBatch {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private position = 0;
  private endsInHole = false;

  constructor(private readonly handle: FileHandle) {}

  async add(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    if (this.bytes >= READ_CHUNK_BYTES) await this.flush();
  }

  /** Writes what is gathered; `end` also sets the length when the file ends in a hole. */
  async flush(end = false): Promise<void> {
    if (this.bytes > 0) {
      const { chunks, bytes } = this;
      this.chunks = [];
      this.bytes = 0;
      this.endsInHole = bytes >= HOLE_BYTES && chunks.every(isAllZero);
      if (!this.endsInHole) await writeChunks(this.handle, chunks, bytes, this.position);
      this.position += bytes;
    }
    if (end && this.endsInHole) await this.handle.truncate(this.position);
  }
}

/** One writev of the chunks (no copy into one buffer); a short write is finished piece by piece. */
async function writeChunks(handle: FileHandle, chunks: Uint8Array[], bytes: number, position: number): Promise<void> {
  const { bytesWritten } = chunks.length === 1 ? await handle.write(chunks[0]!, 0, bytes, position) : await handle.writev(chunks, position);
  if (bytesWritten < bytes) await writeAll(handle, Buffer.concat(chunks, bytes).subarray(bytesWritten), position + bytesWritten);
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset, position + offset);
    offset += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function mkdirOrThrow(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(`cannot create ${dir}`, error);
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function readError(digest: string, error: unknown): TsbuildError {
  if (error instanceof TsbuildError) return error;
  if (errorCode(error) === 'ENOENT') return new TsbuildError('BLOB_NOT_FOUND', `blob ${digest} is not in the content store`);
  return ioError(`cannot read blob ${digest}`, error);
}

function corruptError(expected: string, actual: string): TsbuildError {
  return new TsbuildError('DIGEST_MISMATCH', `blob ${expected} is corrupted: its content hashes to ${actual}`);
}

function sizeError(what: string, expected: number, actual: number | string): TsbuildError {
  return new TsbuildError('SIZE_MISMATCH', `size mismatch for ${what}: expected ${expected} bytes, got ${actual}`);
}

function ioError(message: string, error: unknown): TsbuildError {
  const detail = error instanceof Error ? error.message : String(error);
  return new TsbuildError('CONTENT_STORE_IO', `${message}: ${detail}`, { cause: error });
}
