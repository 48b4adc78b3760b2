import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';

const MAX_SYMLINK_HOPS = 40;

/**
 * A tar entry name as a clean relative path ('' for the root). Absolute names and names that
 * climb out with `..` are refused (Docker's breakout check).
 */
export function cleanEntryName(name: string, what: string): string {
  if (name.startsWith('/')) throw unsafe(name, `has an absolute name`, what);
  const clean = path.posix.normalize(name).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) throw unsafe(name, `climbs out of the layer with '..'`, what);
  return clean === '.' ? '' : clean;
}

/**
 * The real path, inside `root`, of the relative directory `dir`: symlinks are followed as they
 * would be inside a container rooted at `root` (absolute targets start at `root`); one that
 * would lead outside is refused naming `entryName`. Components that do not exist yet are kept.
 */
export function resolveDirInRoot(root: string, dir: string, entryName: string, what: string): string {
  const resolved: string[] = [];
  const pending = dir === '' ? [] : dir.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw unsafe(entryName, `would be written outside the layer through a symlink`, what);
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    const info = lstatSync(candidate, { throwIfNoEntry: false });
    if (info?.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw unsafe(entryName, `goes through too many symlinks`, what);
      const target = readlinkSync(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

export function unsafe(entryName: string, reason: string, what: string): TsbuildError {
  return new TsbuildError('UNSAFE_LAYER_ENTRY', `refusing entry '${entryName}' of ${what}: it ${reason}`);
}
