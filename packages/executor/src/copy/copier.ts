import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  openSync,
  readFileSync,
  readSync,
  symlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '@tsbuild/errors';
import { isAllZero } from '@tsbuild/oci';
import { deviceMajor, deviceMinor, makeSpecialFile, specialFileType } from '@tsbuild/snapshot';
import type { ModeChange } from './chmod.js';
import type { Owner } from './owner.js';
import type { TreeEntry } from './tree.js';
import { clearFileTarget, ensureDirectory } from './fs-write.js';

const SMALL_FILE = 1 << 20;

/** Reads a source file without following a symlink swapped in since it was listed. */
function readNoFollow(hostPath: string): Buffer {
  const fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Fewer blocks allocated than the size needs: the file has holes. */
function hasHoles(stat: Stats): boolean {
  return stat.blocks * 512 < stat.size;
}

/**
 * Copies a sparse file keeping its holes: runs of zeros are skipped over, not written (the kernel
 * copy would write every zero, 4 GiB of them for a 4 GiB database file holding a few pages).
 */
function copySparse(hostPath: string, target: string, size: number): void {
  const source = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  const dest = openSync(target, 'wx', 0o600);
  const buffer = Buffer.allocUnsafe(SMALL_FILE);
  try {
    for (let position = 0; position < size; ) {
      const read = readSync(source, buffer, 0, buffer.byteLength, position);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      if (!isAllZero(chunk)) writeAllAt(dest, chunk, position);
      position += read;
    }
    ftruncateSync(dest, size);
  } finally {
    closeSync(source);
    closeSync(dest);
  }
}

/** A new file at `target`, or undefined when something (file, link, directory) is there already. */
function createExclusive(target: string): number | undefined {
  try {
    return openSync(target, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
}

function writeAllAt(fd: number, chunk: Buffer, position: number): void {
  for (let offset = 0; offset < chunk.byteLength; ) offset += writeSync(fd, chunk, offset, chunk.byteLength - offset, position + offset);
}

export interface CopierSettings {
  /** Owner of every copied entry; undefined keeps the source's (COPY --from without --chown). */
  owner: Owner | undefined;
  modeChange: ModeChange | undefined;
  location: SourceLocation | undefined;
}

/**
 * Copies entries with `cp -a` semantics as fsutil's copier: files, directories, symlinks (copied
 * as links, never followed), device and fifo nodes (made anew, never opened), hardlinks inside one
 * source kept as hardlinks, mode, owner and times set after the content, directories' times set
 * last so that filling them does not change them.
 */
export class Copier {
  entriesWritten = 0;
  private readonly linkedInodes = new Map<string, string>();
  private readonly directoriesToFinish: Array<{ target: string; stat: Stats }> = [];

  constructor(private readonly settings: CopierSettings) {}

  /** Copies one entry to `target`; `overwriteExisting` refreshes an existing directory's metadata. */
  copyEntry(entry: TreeEntry, target: string, overwriteExisting = true): void {
    const { stat } = entry;
    if (stat.isDirectory()) {
      const created = ensureDirectory(target, stat.mode, this.settings.location);
      if (created || overwriteExisting) this.directoriesToFinish.push({ target, stat });
    } else if (stat.isFile()) {
      this.copyFile(entry, target);
    } else if (stat.isSymbolicLink()) {
      clearFileTarget(target, this.settings.location);
      symlinkSync(entry.linkTarget as string, target);
      this.applyLinkInfo(target, stat);
    } else {
      const special = specialFileType(stat);
      if (!special) return; // sockets are not copied (fsutil skips them too)
      clearFileTarget(target, this.settings.location);
      makeSpecialFile(target, special, deviceMajor(stat.rdev), deviceMinor(stat.rdev));
      this.applyInfo(target, stat);
    }
    this.entriesWritten++;
  }

  /** Copies a directory's selected contents (pre-order) below `targetDir`. */
  copyTree(entries: TreeEntry[], targetDir: string): void {
    for (const entry of entries) this.copyEntry(entry, path.join(targetDir, entry.relative));
  }

  /** Applies directory metadata, deepest first, once everything has been written. */
  finish(): void {
    for (const { target, stat } of this.directoriesToFinish.reverse()) this.applyInfo(target, stat);
    this.directoriesToFinish.length = 0;
  }

  private copyFile(entry: TreeEntry, target: string): void {
    const { stat } = entry;
    const inode = `${stat.dev}:${stat.ino}`;
    const firstCopy = stat.nlink > 1 ? this.linkedInodes.get(inode) : undefined;
    if (firstCopy !== undefined) {
      clearFileTarget(target, this.settings.location);
      linkSync(firstCopy, target);
      return;
    }
    if (stat.size < SMALL_FILE) this.writeSmallFile(entry, target);
    else {
      clearFileTarget(target, this.settings.location);
      if (hasHoles(stat)) copySparse(entry.hostPath, target, stat.size);
      else copyFileSync(entry.hostPath, target);
      this.applyInfo(target, stat);
    }
    if (stat.nlink > 1) this.linkedInodes.set(inode, target);
  }

  /**
   * Small files: one read, and metadata set through the open descriptor (far fewer path lookups).
   * The file is created exclusively, so what is in the way is cleared only when something is: on
   * an overlay that is one lookup less per file of a large COPY.
   */
  private writeSmallFile(entry: TreeEntry, target: string): void {
    const { stat } = entry;
    const data = readNoFollow(entry.hostPath);
    let fd = createExclusive(target);
    if (fd === undefined) {
      clearFileTarget(target, this.settings.location);
      fd = openSync(target, 'wx', 0o600);
    }
    try {
      writeSync(fd, data);
      const owner = this.ownerFor(stat);
      fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, this.modeFor(stat));
      futimesSync(fd, stat.atimeMs / 1000, stat.mtimeMs / 1000);
    } finally {
      closeSync(fd);
    }
  }

  private ownerFor(stat: Stats): Owner {
    return this.settings.owner ?? { uid: stat.uid, gid: stat.gid };
  }

  /** Owner, then mode (chown clears set-id bits), then times. */
  private applyInfo(target: string, stat: Stats): void {
    const owner = this.ownerFor(stat);
    chownSync(target, owner.uid, owner.gid);
    chmodSync(target, this.modeFor(stat));
    utimesSync(target, stat.atimeMs / 1000, stat.mtimeMs / 1000);
  }

  private modeFor(stat: Stats): number {
    const mode = stat.mode & 0o7777;
    return this.settings.modeChange ? this.settings.modeChange(mode, stat.isDirectory()) : mode;
  }

  private applyLinkInfo(target: string, stat: Stats): void {
    const owner = this.ownerFor(stat);
    lchownSync(target, owner.uid, owner.gid);
    lutimesSync(target, stat.atimeMs / 1000, stat.mtimeMs / 1000);
  }
}
