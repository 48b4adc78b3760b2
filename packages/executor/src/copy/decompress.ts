import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { TsbuildError } from '@tsbuild/errors';
import { gunzipStream } from '@tsbuild/oci';
import { throughCommand } from '@tsbuild/snapshot';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

/** Compression by magic bytes, never by file name (Docker's DetectCompression). */
export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

export function readHead(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's bytes, decompressed as a stream. gzip uses zlib; bzip2, xz and zstd run the system
 * decompressor (as Docker does for xz), so memory stays flat whatever the size.
 */
export function decompressedStream(file: string, compression: Compression): Readable {
  const raw = createReadStream(file);
  if (compression === 'none') return raw;
  if (compression === 'gzip') return raw.pipe(gunzipStream());
  return throughCommand(raw, { command: compression, args: ['-d', '-c', '-q'], doing: `decompressing ${file}` });
}

/** Reads up to `length` bytes from the start of a stream, then stops it. */
export async function readPrefix(stream: Readable, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total >= length) break;
    }
  } catch (error) {
    if (error instanceof TsbuildError) throw error;
    // a corrupt stream just yields what it had: it is not an archive
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, length);
}

/** A valid tar header: the checksum at 148 matches the block with that field read as spaces. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512 || block.every((b) => b === 0)) return false;
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/g, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum === stored;
}

/** Whether ADD should extract this file: a (possibly compressed) tar with at least one entry. */
export async function archiveCompression(file: string): Promise<Compression | undefined> {
  const compression = detectCompression(readHead(file, 8));
  const header = await readPrefix(decompressedStream(file, compression), 512);
  return isTarHeader(header) ? compression : undefined;
}

/** An archive may expand to this many times its size, or to TSBUILD_ADD_MAX_BYTES (default 1 GiB), whichever is larger. */
const MAX_EXPANSION_RATIO = 100;

export function expansionLimit(archiveBytes: number): number {
  const floor = Number(process.env.TSBUILD_ADD_MAX_BYTES) || 1024 ** 3;
  return Math.max(floor, archiveBytes * MAX_EXPANSION_RATIO);
}

/**
 * Passes the decompressed bytes on until there are more than `limit`, then fails with `error()`:
 * a decompression bomb stops with a clear error instead of filling the disk.
 */
export function boundedStream(input: Readable, limit: number, error: () => Error): Readable {
  let seen = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(error());
      else callback(null, chunk);
    },
  });
  input.on('error', (e) => bounded.destroy(e));
  return input.pipe(bounded);
}
