import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { Owner } from './owner.js';

/**
 * Creates the missing directories of `hostDir` (already resolved inside the destination root)
 * owned by `owner` with `mode` (0755, or the --chmod mode as BuildKit does since fsutil#228),
 * like fsutil's MkdirAll, whatever the umask. Returns the directories created.
 */
export function mkdirAll(hostDir: string, owner: Owner, location?: SourceLocation, mode = 0o755): string[] {
  const missing: string[] = [];
  for (let dir = hostDir; ; dir = path.dirname(dir)) {
    const stat = lstatOrUndefined(dir);
    if (stat?.isDirectory()) break;
    if (stat !== undefined) {
      throw new TsbuildError('COPY_DEST_NOT_DIRECTORY', `cannot create directory ${dir}: a file is in the way`, { location });
    }
    missing.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    mkdirSync(dir, 0o700);
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, mode);
  }
  return missing;
}

/** Makes room for a file, link or hardlink at `target`: an existing non-directory is removed. */
export function clearFileTarget(target: string, location?: SourceLocation): void {
  const stat = lstatOrUndefined(target);
  if (stat === undefined) return;
  if (stat.isDirectory()) {
    throw new TsbuildError('COPY_DEST_IS_DIRECTORY', `cannot replace directory ${target} with a file`, { location });
  }
  unlinkSync(target);
}

/** Ensures `target` is a directory; true when it had to be created. Never follows a link. */
export function ensureDirectory(target: string, mode: number, location?: SourceLocation): boolean {
  const stat = lstatOrUndefined(target);
  if (stat?.isDirectory()) return false;
  if (stat !== undefined) {
    throw new TsbuildError('COPY_DEST_NOT_DIRECTORY', `cannot copy to non-directory: ${target}`, { location });
  }
  mkdirSync(target, mode & 0o777);
  return true;
}

export function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
