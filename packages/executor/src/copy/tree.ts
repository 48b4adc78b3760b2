import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { TsbuildError } from '@tsbuild/errors';
import path from 'node:path';
import { dockerPatternMatcher } from './ignore-matcher.js';
import { sortedNames } from './wildcard.js';

/** One file system entry of a selected source tree. */
export interface TreeEntry {
  /** Path relative to the selected source (`''` is the source itself). */
  relative: string;
  hostPath: string;
  stat: Stats;
  /** Symlink target, as stored. */
  linkTarget?: string;
}

/** Decides what of a tree is kept: .dockerignore (context paths) and --exclude (source paths). */
export interface TreeFilter {
  /** Excluded by .dockerignore; path relative to the context root. */
  ignored(contextPath: string): boolean;
  ignoreHasExceptions: boolean;
  /** Excluded by --exclude; path relative to the copied source (or --parents pivot). */
  excluded(sourcePath: string): boolean;
  excludeHasExceptions: boolean;
}

export const NO_FILTER: TreeFilter = {
  ignored: () => false,
  ignoreHasExceptions: false,
  excluded: () => false,
  excludeHasExceptions: false,
};

/** A matcher for Docker exclude patterns (`**`, `!` exceptions), as fileutils.PatternMatcher. */
export function excludeMatcher(patterns: string[]): { matches: (p: string) => boolean; hasExceptions: boolean } {
  if (patterns.length === 0) return { matches: () => false, hasExceptions: false };
  return { matches: dockerPatternMatcher(patterns), hasExceptions: patterns.some((p) => p.startsWith('!')) };
}

export function entryFor(hostPath: string, relative: string, stat: Stats = lstatSync(hostPath)): TreeEntry {
  return stat.isSymbolicLink() ? { relative, hostPath, stat, linkTarget: readlinkSync(hostPath) } : { relative, hostPath, stat };
}

/**
 * The entries of a directory tree in pre-order (a directory before its contents, names in byte
 * order), never following symlinks. An excluded directory is still searched when exception
 * patterns (`!`) exist, and appears only if something inside it is kept (as BuildKit's walker).
 * `contextPath` is the directory's path relative to the context root; `sourcePath` relative to
 * the exclude base.
 */
export function walkTree(hostDir: string, contextPath: string, sourcePath: string, filter: TreeFilter): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const visit = (dirHost: string, relative: string, ctxPath: string, srcPath: string): void => {
    for (const name of sortedNames(dirHost)) {
      const hostPath = path.join(dirHost, name);
      const childRelative = relative === '' ? name : `${relative}/${name}`;
      const childCtx = ctxPath === '' ? name : `${ctxPath}/${name}`;
      const childSrc = srcPath === '' ? name : `${srcPath}/${name}`;
      let stat: Stats;
      try {
        stat = lstatSync(hostPath);
      } catch (error) {
        // Node reads names as UTF-8; a name that is not comes back with U+FFFD and cannot be
        // opened. Refuse it rather than leave the file out of the image without a word.
        if (name.includes('\uFFFD')) {
          throw new TsbuildError('NON_UTF8_NAME', `cannot copy ${JSON.stringify(childCtx)}: its name is not valid UTF-8, which tsbuild does not support; rename the file or exclude it in .dockerignore`, { cause: error });
        }
        continue; // vanished while walking
      }
      const dropped = filter.ignored(childCtx) || filter.excluded(childSrc);
      if (!stat.isDirectory()) {
        if (!dropped) entries.push(entryFor(hostPath, childRelative, stat));
        continue;
      }
      if (dropped && !(filter.ignoreHasExceptions || filter.excludeHasExceptions)) continue;
      const at = entries.push(entryFor(hostPath, childRelative, stat));
      visit(hostPath, childRelative, childCtx, childSrc);
      if (dropped && entries.length === at) entries.pop(); // excluded, and nothing inside was kept
    }
  };
  visit(hostDir, '', contextPath, sourcePath);
  return entries;
}
