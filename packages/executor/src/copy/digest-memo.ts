import { closeSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { TsbuildError } from '@tsbuild/errors';

/** One remembered file digest; plain data so the cache can store it as JSON. */
export interface DigestMemoRecord {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** `sha256:<hex>` of the file's bytes. */
  digest: string;
}

/**
 * Remembers file content digests by (path, size, mtime, inode) so that hashing an unchanged
 * context does not read its bytes again. `hits` and `reads` count what happened.
 */
export class ContentDigestMemo {
  hits = 0;
  reads = 0;
  private readonly byPath = new Map<string, DigestMemoRecord>();

  constructor(records: Iterable<DigestMemoRecord> = []) {
    for (const record of records) this.byPath.set(record.path, record);
  }

  /** The digest of a regular file's content, from memory when its identity is unchanged. */
  digestOf(hostPath: string, stat: Stats): string {
    const known = this.byPath.get(hostPath);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ino === stat.ino) {
      this.hits++;
      return known.digest;
    }
    this.reads++;
    const digest = fileDigest(hostPath, stat.size);
    this.byPath.set(hostPath, { path: hostPath, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, digest });
    return digest;
  }

  /** Everything remembered, for persisting. */
  records(): DigestMemoRecord[] {
    return [...this.byPath.values()];
  }
}

const CHUNK = 1 << 20;
let sharedBuffer: Buffer | undefined;

/** sha256 of a file; small files in one read, large ones in chunks (memory does not grow with size). */
export function fileDigest(hostPath: string, sizeHint = Infinity): string {
  const hash = createHash('sha256');
  if (sizeHint < CHUNK) return `sha256:${hash.update(readWhole(hostPath)).digest('hex')}`;
  sharedBuffer ??= Buffer.allocUnsafe(CHUNK);
  const buffer = sharedBuffer;
  let fd: number;
  try {
    fd = openSync(hostPath, 'r');
  } catch (cause) {
    throw new TsbuildError('SOURCE_UNREADABLE', `cannot read ${hostPath}: ${(cause as Error).message}`, { cause });
  }
  try {
    for (let n = readSync(fd, buffer, 0, CHUNK, null); n > 0; n = readSync(fd, buffer, 0, CHUNK, null)) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}

function readWhole(hostPath: string): Buffer {
  try {
    return readFileSync(hostPath);
  } catch (cause) {
    throw new TsbuildError('SOURCE_UNREADABLE', `cannot read ${hostPath}: ${(cause as Error).message}`, { cause });
  }
}
