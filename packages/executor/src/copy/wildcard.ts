import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { components } from './scoped-path.js';

/** True when a path has `*`, `?` or `[` not escaped by a backslash (Go's filepath.Match). */
export function hasWildcards(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** Splits `a/b/*.js/c` into the literal prefix `a/b` and the pattern `*.js/c`. */
export function splitWildcards(p: string): { base: string; pattern: string } {
  const parts = components(p);
  const firstWild = parts.findIndex(hasWildcards);
  if (firstWild < 0) return { base: parts.join('/'), pattern: '' };
  return { base: parts.slice(0, firstWild).join('/'), pattern: parts.slice(firstWild).join('/') };
}

/**
 * Go filepath.Match semantics: `*` and `?` never cross `/` and match leading dots; no braces,
 * extglobs or globstar (`**` is just `*`).
 */
export function goMatcher(pattern: string): (relativePath: string) => boolean {
  return picomatch(pattern, { dot: true, nobrace: true, noextglob: true, noglobstar: true, nonegate: true });
}

/**
 * Paths under `baseDir` (host path) matching `pattern`, relative to `baseDir`, in lexical walk
 * order as fsutil's ResolveWildcards: a matching directory is not descended into, and the walk
 * never goes deeper than the pattern has components. `skip` hides entries (e.g. .dockerignore).
 */
export function matchWildcard(baseDir: string, pattern: string, skip: (relative: string, isDir: boolean) => boolean): string[] {
  const matches = goMatcher(pattern);
  const depth = components(pattern).length;
  const found: string[] = [];
  const visit = (relativeDir: string, level: number): void => {
    for (const name of sortedNames(path.join(baseDir, relativeDir))) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      const isDir = isRealDirectory(path.join(baseDir, relative));
      if (skip(relative, isDir)) continue;
      if (matches(relative)) found.push(relative);
      else if (isDir && level < depth) visit(relative, level + 1);
    }
  };
  visit('', 1);
  return found;
}

/** Directory entries in byte order (Go's sort), empty when the directory cannot be read. */
export function sortedNames(hostDir: string): string[] {
  try {
    return readdirSync(hostDir).sort(byteOrder);
  } catch {
    return [];
  }
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRealDirectory(hostPath: string): boolean {
  try {
    return lstatSync(hostPath).isDirectory();
  } catch {
    return false;
  }
}
