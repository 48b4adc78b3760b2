import { closeSync, linkSync, lchownSync, chmodSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, utimesSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';

import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { TsbuildError } from '@tsbuild/errors';

import { decompressedTar } from './decompress.js';
import { keepRawXattrs, RAW_XATTR_PREFIX } from './raw-pax.js';
import { cleanEntryName, resolveDirInRoot, unsafe } from './scoped-path.js';
import { makeSpecialFile } from './special-files.js';
import { readXattrs, setXattr } from './xattr.js';

export interface ApplyLayerOptions {
  /** Names the layer in errors, e.g. its digest or the archive's file name. */
  name?: string;
  /**
   * An archive for ADD rather than an image layer: no whiteouts. Entries named `.wh.*` and
   * character devices 0/0 (overlayfs's deletion mark) are refused, since the layer made from
   * them would delete files instead of holding them.
   */
  archive?: boolean;
}

export interface AppliedLayer {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * Applies a layer tar (plain, gzip or zstd) onto `targetDir` with Docker's semantics:
 * `.wh.NAME` deletes NAME, `.wh..wh..opq` empties a directory of what lower layers put there,
 * owners, modes, times, xattrs, links and device nodes restored. Names that are absolute, climb
 * out with `..`, or would be written (or hardlinked) outside `targetDir` through a symlink are
 * refused with UNSAFE_LAYER_ENTRY. Applied onto a merged overlay mount, the kernel turns the
 * deletions into whiteouts in the upper directory. Returns the diffID, computed in the same pass.
 */
export async function applyLayer(input: AsyncIterable<Uint8Array> | Uint8Array, targetDir: string, options: ApplyLayerOptions = {}): Promise<AppliedLayer> {
  const what = options.name ?? 'layer';
  const root = path.resolve(targetDir);
  const digester = new HashingStream();
  const extract = tar.extract();
  keepRawXattrs(extract);
  const writer = new LayerWriter(root, what, options.archive ?? false);
  let source: Readable | undefined;
  let current: string | undefined;
  try {
    source = await decompressedTar(input instanceof Uint8Array ? Readable.from([input]) : input, what);
    source.on('error', (error) => digester.destroy(error));
    digester.on('error', (error) => extract.destroy(error));
    source.pipe(digester).pipe(extract as unknown as NodeJS.WritableStream);
    for await (const entry of extract) {
      current = (entry as unknown as TarEntry).header.name;
      await writer.write(entry as unknown as TarEntry);
    }
    current = undefined;
    writer.finish();
    await drainRest(digester, extract);
  } catch (error) {
    source?.destroy();
    if (error instanceof TsbuildError) throw error;
    const at = current === undefined ? '' : ` at entry '${current}'`;
    throw new TsbuildError('LAYER_APPLY_FAILED', `cannot apply ${what} to ${root}${at}: ${(error as Error).message}`, { cause: error });
  }
  return { diffId: digester.digest(), size: digester.size };
}

interface TarEntry extends AsyncIterable<Buffer> {
  header: tar.Header & { pax?: Record<string, string> | null };
  resume(): void;
}

/** Lets the bytes after the end-of-archive marker through the hash too, then waits for the end. */
async function drainRest(digester: HashingStream, extract: tar.Extract): Promise<void> {
  digester.unpipe(extract as unknown as NodeJS.WritableStream);
  if (digester.readableEnded) return;
  await new Promise<void>((resolve, reject) => {
    digester.on('end', resolve);
    digester.on('error', reject);
    digester.resume();
  });
}

class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  private result: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    callback();
  }

  digest(): string {
    if (this.result === undefined) throw new Error('layer hash read before the layer ended');
    return this.result;
  }
}

/** Writes entries one by one; remembers what this layer created (for opaque whiteouts). */
class LayerWriter {
  private readonly created = new Set<string>();
  private readonly directories: Array<{ target: string; mtime: Date }> = [];

  constructor(
    private readonly root: string,
    private readonly what: string,
    private readonly archive: boolean,
  ) {}

  async write(entry: TarEntry): Promise<void> {
    const header = entry.header;
    const name = cleanEntryName(header.name, this.what);
    if (name === '') return entry.resume();
    const parent = resolveDirInRoot(this.root, path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name), header.name, this.what);
    const base = path.posix.basename(name);
    if (this.archive) this.refuseDeletionMarks(header, base);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      entry.resume();
      return this.whiteout(parent, base);
    }
    mkdirSync(parent, { recursive: true });
    const target = path.join(parent, base);
    this.prepareTarget(target, header.type === 'directory');
    switch (header.type) {
      case 'directory':
        mkdirSync(target, { recursive: true });
        break;
      case 'file':
      case 'contiguous-file':
        await writeFile(entry, target);
        break;
      case 'symlink':
        symlinkSync(header.linkname ?? '', target);
        break;
      case 'link':
        entry.resume();
        linkSync(this.linkSource(header), target);
        this.created.add(target);
        return;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        makeSpecialFile(target, header.type, header.devmajor ?? 0, header.devminor ?? 0);
        break;
      default:
        // Docker ignores other types (e.g. GNU sparse-only variants are already files).
        return entry.resume();
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') entry.resume();
    this.created.add(target);
    this.applyMetadata(target, header);
  }

  private refuseDeletionMarks(header: TarEntry['header'], base: string): void {
    if (base.startsWith(WHITEOUT_PREFIX)) throw unsafe(header.name, `has a name image layers reserve for deletions ('${WHITEOUT_PREFIX}')`, this.what);
    if (header.type === 'character-device' && !header.devmajor && !header.devminor) {
      throw unsafe(header.name, `is a character device 0/0, which overlayfs takes for a deletion`, this.what);
    }
  }

  /** Directory times last, once their contents stop changing. */
  finish(): void {
    for (const { target, mtime } of this.directories.reverse()) utimesSync(target, mtime, mtime);
  }

  private whiteout(parent: string, base: string): void {
    if (base === OPAQUE_WHITEOUT) return this.makeOpaque(parent);
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // other AUFS metadata
    rmSync(path.join(parent, base.slice(WHITEOUT_PREFIX.length)), { recursive: true, force: true });
  }

  /**
   * Removes what lower layers put in `dir`. When this layer has put nothing there yet, the
   * directory is removed and recreated, which overlayfs records as one opaque directory.
   */
  private makeOpaque(dir: string): void {
    const info = lstatSync(dir, { throwIfNoEntry: false });
    if (!info?.isDirectory()) return;
    const children = readdirSync(dir);
    const ownChildren = children.filter((child) => this.created.has(path.join(dir, child)));
    if (ownChildren.length === 0 && dir !== this.root) {
      const xattrs = readXattrs(dir).filter(([key]) => !key.startsWith('trusted.overlay.'));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      lchownSync(dir, info.uid, info.gid);
      chmodSync(dir, info.mode & 0o7777);
      for (const [key, value] of xattrs) setXattr(dir, key, value);
      return;
    }
    for (const child of children) {
      const childPath = path.join(dir, child);
      if (!this.created.has(childPath)) rmSync(childPath, { recursive: true, force: true });
    }
  }

  /** An existing entry is replaced, except a directory by a directory (then merged). */
  private prepareTarget(target: string, isDirectory: boolean): void {
    const existing = lstatSync(target, { throwIfNoEntry: false });
    if (!existing) return;
    if (isDirectory && existing.isDirectory()) return;
    rmSync(target, { recursive: true, force: true });
  }

  private linkSource(header: TarEntry['header']): string {
    const linkName = header.linkname ?? '';
    const clean = cleanEntryName(linkName.replace(/^\/+/, ''), this.what);
    if (clean === '') throw unsafe(header.name, `is a hardlink to the layer root`, this.what);
    const dir = path.posix.dirname(clean);
    const parent = resolveDirInRoot(this.root, dir === '.' ? '' : dir, header.name, this.what);
    const source = path.join(parent, path.posix.basename(clean));
    const info: Stats | undefined = lstatSync(source, { throwIfNoEntry: false });
    if (!info) throw new TsbuildError('LAYER_APPLY_FAILED', `entry '${header.name}' of ${this.what} is a hardlink to '${linkName}', which does not exist`);
    if (info.isDirectory()) throw unsafe(header.name, `is a hardlink to a directory`, this.what);
    return source;
  }

  private applyMetadata(target: string, header: TarEntry['header']): void {
    const isSymlink = header.type === 'symlink';
    lchownSync(target, header.uid ?? 0, header.gid ?? 0);
    if (!isSymlink) {
      // after chown, which clears setuid/setgid
      chmodSync(target, (header.mode ?? 0o644) & 0o7777);
      for (const [name, value] of xattrsOf(header.pax ?? {})) {
        if (!name.startsWith('trusted.overlay.')) setXattrTolerant(target, name, value);
      }
    }
    const mtime = header.mtime ?? new Date(0);
    if (header.type === 'directory') this.directories.push({ target, mtime });
    else lutimesSync(target, mtime, mtime);
  }
}

/** The entry's xattrs: the raw bytes when the PAX hook kept them, else tar-stream's UTF-8 text. */
function xattrsOf(pax: Record<string, string>): Array<[string, Buffer]> {
  const result: Array<[string, Buffer]> = [];
  for (const [key, value] of Object.entries(pax)) {
    if (!key.startsWith('SCHILY.xattr.')) continue;
    const name = key.slice('SCHILY.xattr.'.length);
    const raw = pax[RAW_XATTR_PREFIX + name];
    result.push([name, raw === undefined ? Buffer.from(String(value), 'utf8') : Buffer.from(raw, 'latin1')]);
  }
  return result;
}

/** Filesystems without xattr support (or an unknown namespace) are skipped, as Docker does. */
function setXattrTolerant(target: string, name: string, value: Buffer): void {
  try {
    setXattr(target, name, value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
  }
}

async function writeFile(entry: TarEntry, target: string): Promise<void> {
  const fd = openSync(target, 'wx', 0o600);
  try {
    for await (const chunk of entry) {
      let offset = 0;
      while (offset < chunk.byteLength) offset += writeSync(fd, chunk, offset, chunk.byteLength - offset);
    }
  } finally {
    closeSync(fd);
  }
}
