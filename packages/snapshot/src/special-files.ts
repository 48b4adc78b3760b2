import { execFileSync } from 'node:child_process';
import type { Stats } from 'node:fs';

/** Device and fifo nodes as tar names their types. */
export type SpecialFileType = 'character-device' | 'block-device' | 'fifo';

/** Linux dev_t split (glibc's major()/minor()). */
export function deviceMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

export function deviceMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

/** The special-file type of `info`, or undefined for anything else (sockets included). */
export function specialFileType(info: Stats): SpecialFileType | undefined {
  if (info.isFIFO()) return 'fifo';
  if (info.isCharacterDevice()) return 'character-device';
  if (info.isBlockDevice()) return 'block-device';
  return undefined;
}

/** Creates a device or fifo node (Node has no mknod; coreutils' is always there). */
export function makeSpecialFile(target: string, type: SpecialFileType, major = 0, minor = 0): void {
  if (type === 'fifo') execFileSync('mknod', [target, 'p']);
  else execFileSync('mknod', [target, type === 'block-device' ? 'b' : 'c', String(major), String(minor)]);
}

/** overlayfs records a deletion as a character device 0/0 in the upper directory. */
export function isOverlayWhiteout(info: Stats): boolean {
  return info.isCharacterDevice() && info.rdev === 0;
}
