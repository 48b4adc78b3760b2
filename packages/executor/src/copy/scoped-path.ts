import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '@tsbuild/errors';

const MAX_SYMLINKS = 255;

/**
 * Resolves `inner` (absolute or relative, `/` being `root`) to a host path inside `root`,
 * following symlinks as if `root` were `/`: absolute link targets restart at `root` and `..`
 * never climbs above it (containerd's RootPath). Missing components are kept as written.
 * With `followFinal` false the last component is not followed (lstat semantics).
 */
export function resolveInRoot(root: string, inner: string, followFinal = true): string {
  const pending = components(inner).reverse();
  let resolved: string[] = [];
  let linksFollowed = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    if (pending.length === 0 && !followFinal) return path.join(root, ...candidate);
    const target = symlinkTarget(path.join(root, ...candidate));
    if (target === undefined) {
      resolved = candidate;
      continue;
    }
    if (++linksFollowed > MAX_SYMLINKS) {
      throw new TsbuildError('SYMLINK_LOOP', `too many levels of symbolic links resolving ${inner}`);
    }
    if (target.startsWith('/')) resolved = [];
    pending.push(...components(target).reverse());
  }
  return path.join(root, ...resolved);
}

/** Splits a path into its components, dropping empty ones and `.`. */
export function components(p: string): string[] {
  return p.split('/').filter((part) => part !== '' && part !== '.');
}

function symlinkTarget(hostPath: string): string | undefined {
  try {
    return lstatSync(hostPath).isSymbolicLink() ? readlinkSync(hostPath) : undefined;
  } catch {
    return undefined;
  }
}
