import { closeSync, constants, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';

import * as tar from 'tar-stream';
import { TsbuildError } from '@tsbuild/errors';
import type { ContentStore } from '@tsbuild/oci';

import { LayerCompressor, type CompressOptions } from './compress.js';
import { addEntry, type Header } from './pack-entry.js';
import { joinedChunks, teeTo } from './tee.js';
import { getXattr, readXattrs } from './xattr.js';
import { deviceMajor, deviceMinor, isOverlayWhiteout, specialFileType } from './special-files.js';

export interface DiffOptions {
  /** Absolute in-container paths (e.g. `/etc/hosts`) left out with everything below them. */
  exclude?: ReadonlySet<string>;
  /** Clamps every mtime to this many seconds since the epoch (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
}

export interface WriteLayerOptions extends DiffOptions {
  /** Also compress the tar as it is written (see LayerCompressor): for a layer about to be pushed. */
  compress?: CompressOptions;
}

export interface LayerDiff {
  /** The layer tar. */
  stream: Readable;
  /** Settles when the walk has written the last entry (rejects if the walk failed). */
  done: Promise<void>;
}

export interface WrittenLayer {
  /** sha256 of the uncompressed tar, which is also its content-store digest. */
  diffId: string;
  uncompressedSize: number;
}

const READ_CHUNK_BYTES = 1024 * 1024;
const SMALL_FILE_BYTES = 256 * 1024;
const PACK_BUFFER_BYTES = 256 * 1024;
const USTAR_NAME_LIMIT = 100;

/**
 * Turns an overlay upper directory into a layer tar in one pass: entries sorted by name, each
 * directory before its contents; overlay whiteouts (char 0/0) become `.wh.NAME`, opaque
 * directories get a `.wh..wh..opq` entry; hardlinked files are stored once, later names as links;
 * xattrs as PAX records (trusted.overlay.* dropped). File contents are streamed.
 */
export function diffUpperdir(upperDir: string, options: DiffOptions = {}): LayerDiff {
  // A reader may fall this far behind before the walk waits (tar-stream's default is 16 KiB).
  const pack = tar.pack({ highWaterMark: PACK_BUFFER_BYTES });
  // A failed walk destroys the pack with its error; `done` carries that error to the caller, so
  // an 'error' event nobody listens to must not take the process down.
  pack.on('error', () => undefined);
  const walker = new UpperWalker(path.resolve(upperDir), pack, options);
  const done = walker.run().then(
    () => void pack.finalize(),
    (error: unknown) => {
      const wrapped = error instanceof TsbuildError ? error : new TsbuildError('LAYER_DIFF_FAILED', `cannot read ${upperDir} into a layer: ${(error as Error).message}`, { cause: error });
      pack.destroy(wrapped);
      throw wrapped;
    },
  );
  return { stream: pack as unknown as Readable, done };
}

/**
 * Stores the upperdir's layer tar (uncompressed, like buildah's local layers) in `store`; with
 * `compress`, its compressed blob too, made from the same bytes as they pass.
 */
export async function writeLayer(upperDir: string, store: ContentStore, options: WriteLayerOptions = {}): Promise<WrittenLayer> {
  const { stream, done } = diffUpperdir(upperDir, options);
  const compressor = options.compress ? new LayerCompressor(store, options.compress) : undefined;
  // teeTo joins small chunks itself; without a compressor, joinedChunks does it alone.
  const tar = compressor ? teeTo(stream, compressor.consume) : joinedChunks(stream);
  const [info] = await Promise.all([store.write(tar), done]);
  await compressor?.record(info.digest);
  return { diffId: info.digest, uncompressedSize: info.size };
}

class UpperWalker {
  private readonly hardlinks = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly pack: tar.Pack,
    private readonly options: DiffOptions,
  ) {}

  async run(): Promise<void> {
    await this.walkDirectory(this.root, '');
  }

  private async walkDirectory(dir: string, relDir: string): Promise<void> {
    for (const name of readdirSync(dir).sort(compareBytes)) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      if (this.options.exclude?.has(`/${rel}`)) continue;
      const full = path.join(dir, name);
      const info = lstatName(full, rel);
      if (isOverlayWhiteout(info)) {
        await this.add({ ...this.baseHeader(info), name: joinName(relDir, `.wh.${name}`), type: 'file', mode: 0, uid: 0, gid: 0 });
        continue;
      }
      if (info.isDirectory()) {
        await this.add({ ...this.baseHeader(info), name: `${rel}/`, type: 'directory' }, full);
        if (getXattr(full, 'trusted.overlay.opaque')?.toString() === 'y') {
          await this.add({ ...this.baseHeader(info), name: `${rel}/.wh..wh..opq`, type: 'file', mode: 0, uid: 0, gid: 0 });
        }
        await this.walkDirectory(full, rel);
      } else {
        await this.addNonDirectory(full, rel, info);
      }
    }
  }

  private async addNonDirectory(full: string, rel: string, info: Stats): Promise<void> {
    const header = this.baseHeader(info);
    if (info.isSymbolicLink()) return this.add({ ...header, name: rel, type: 'symlink', linkname: readlinkSync(full) });
    const special = specialFileType(info);
    if (special === 'fifo') return this.add({ ...header, name: rel, type: special }, full);
    if (special) return this.add({ ...header, name: rel, type: special, devmajor: deviceMajor(info.rdev), devminor: deviceMinor(info.rdev) }, full);
    if (!info.isFile()) return; // sockets are not archived (Docker skips them too)
    if (info.nlink > 1) {
      const key = `${info.dev}:${info.ino}`;
      const first = this.hardlinks.get(key);
      if (first !== undefined) return this.add({ ...header, name: rel, type: 'link', linkname: first });
      this.hardlinks.set(key, rel);
    }
    await this.add({ ...header, name: rel, type: 'file', size: info.size }, full, full);
  }

  private baseHeader(info: Stats): Header {
    const epoch = this.options.sourceDateEpoch;
    const mtimeSeconds = Math.floor(info.mtimeMs / 1000);
    const clamped = epoch !== undefined && mtimeSeconds > epoch ? epoch : mtimeSeconds;
    return { name: '', mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, mtime: new Date(clamped * 1000), uname: '', gname: '' };
  }

  /** Writes one entry: a PAX header of our own first when it has xattrs (raw bytes kept). */
  private async add(header: Header, xattrSource?: string, contentPath?: string): Promise<void> {
    const xattrs = xattrSource === undefined ? [] : readXattrs(xattrSource).filter(([key]) => !key.startsWith('trusted.overlay.'));
    if (xattrs.length > 0) {
      const records: Array<[string, Buffer]> = xattrs.map(([key, value]) => [`SCHILY.xattr.${key}`, value]);
      if (Buffer.byteLength(header.name) >= USTAR_NAME_LIMIT) {
        records.unshift(['path', Buffer.from(header.name)]);
        header = { ...header, name: shortName(header.name) };
      }
      const body = encodePaxRecords(records);
      // tar-stream's own PAX writer encodes values as UTF-8 text, which breaks binary xattrs
      // such as security.capability, so the record goes out as raw blocks between entries.
      (this.pack as unknown as { push(chunk: Buffer): boolean }).push(paxBlocks(`PaxHeaders/${shortName(path.posix.basename(header.name))}`, body));
    }
    if (contentPath === undefined) return this.entry(header, Buffer.alloc(0));
    await this.fileEntry(header, contentPath);
  }

  private entry(header: Header, body: Buffer): Promise<void> {
    return addEntry(this.pack, header, body);
  }

  private async fileEntry(header: Header, contentPath: string): Promise<void> {
    // Small files in one synchronous read: a stream per file costs more than the bytes (20k files).
    if ((header.size ?? 0) <= SMALL_FILE_BYTES) return this.entry(header, readSmallFile(contentPath, header.size ?? 0));
    let settle!: (error?: Error | null) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve(undefined));
    });
    const sink = this.pack.entry(header as tar.Header, (error) => settle(error));
    for await (const chunk of createReadStream(contentPath, { fd: openUnchanged(contentPath), highWaterMark: READ_CHUNK_BYTES })) {
      if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
    }
    sink.end(undefined as unknown as Buffer);
    await finished;
  }
}

/**
 * A small file's bytes, `size` as lstat saw it: open, one read past the end (a file that grew is
 * noticed too), close, without readFileSync's fstat.
 */
function readSmallFile(contentPath: string, size: number): Buffer {
  const body = Buffer.allocUnsafe(size + 1);
  const fd = openUnchanged(contentPath);
  try {
    const read = readSync(fd, body, 0, size + 1, 0);
    if (read !== size) throw new TsbuildError('LAYER_DIFF_FAILED', `${contentPath} changed size while it was archived`);
    return body.subarray(0, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a file to archive it without touching its access time: the first read of a file just
 * written would otherwise dirty its inode (relatime), one more write per file of the layer.
 * O_NOATIME is refused (EPERM) to a caller who neither owns the file nor has CAP_FOWNER.
 */
function openUnchanged(contentPath: string): number {
  try {
    return openSync(contentPath, constants.O_RDONLY | constants.O_NOATIME);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return openSync(contentPath, 'r');
    throw error;
  }
}

/** lstat, with a clear error for a name Node cannot read back (not valid UTF-8: it comes back with U+FFFD). */
function lstatName(full: string, rel: string): Stats {
  try {
    return lstatSync(full);
  } catch (error) {
    if (rel.includes('\uFFFD')) {
      throw new TsbuildError('NON_UTF8_NAME', `the step created ${JSON.stringify(`/${rel}`)}, whose name is not valid UTF-8, which tsbuild does not support yet`, { cause: error });
    }
    throw error;
  }
}

/** PAX records `LEN key=value\n`, LEN counting the whole record; values are raw bytes. */
function encodePaxRecords(records: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
    let length = rest.byteLength + 1;
    while (String(length).length + rest.byteLength !== length) length = String(length).length + rest.byteLength;
    parts.push(Buffer.from(String(length)), rest);
  }
  return Buffer.concat(parts);
}

/** A ustar header block of type 'x' (PAX extended header) followed by `body`, padded to 512. */
function paxBlocks(name: string, body: Buffer): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(`${body.byteLength.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('x', 156, 'ascii');
  block.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padding = Buffer.alloc((512 - (body.byteLength % 512)) % 512);
  return Buffer.concat([block, body, padding]);
}

function shortName(name: string): string {
  const bytes = Buffer.from(name);
  return bytes.byteLength < USTAR_NAME_LIMIT ? name : bytes.subarray(0, USTAR_NAME_LIMIT - 1).toString('latin1');
}

function joinName(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
