import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { CopySource, CopySpec } from './types.js';
import { resolveInRoot, components } from './scoped-path.js';
import { excludeMatcher, walkTree, entryFor, type TreeEntry, type TreeFilter } from './tree.js';
import { hasWildcards, splitWildcards, matchWildcard } from './wildcard.js';

/** A local path selected by a COPY/ADD source (after wildcard expansion and symlink resolution). */
export interface PathItem {
  kind: 'path';
  /** Path relative to the source root as matched, before symlink resolution (`app/x.js`). */
  name: string;
  /** Name the item gets inside a destination directory. */
  baseName: string;
  hostPath: string;
  stat: Stats;
  /** For a directory, what is copied of its contents, in pre-order. */
  entries: TreeEntry[];
  /** `--parents`: the path kept below the destination, and the directories above the item. */
  parentsPath?: string;
  parentDirs?: TreeEntry[];
}
export interface HeredocItem {
  kind: 'heredoc';
  name: string;
  content: string;
}
export interface UrlItem {
  kind: 'url';
  url: URL;
  baseName: string;
}
export type CopyItem = PathItem | HeredocItem | UrlItem;

export interface Selection {
  items: CopyItem[];
  /** More than one thing to copy: the destination must be a directory. */
  multiple: boolean;
}

/** Expands an instruction's sources into what will be copied, with Docker's checks and errors. */
export function selectSources(spec: CopySpec, source: CopySource, location?: SourceLocation): Selection {
  const root = source.kind === 'context' ? source.context.root : source.root;
  const filter = treeFilter(spec, source);
  const heredocNames = new Set(spec.heredocs.map((h) => h.name));
  const items: CopyItem[] = spec.heredocs.map((h) => ({ kind: 'heredoc', name: h.name, content: h.content }));
  const localSources = spec.sources.filter((s) => !isHeredocMarker(s, heredocNames));
  checkChecksumUse(spec, localSources, location);
  let multiple = localSources.length + spec.heredocs.length > 1;
  for (const src of localSources) {
    if (isGitSource(src)) {
      const message = spec.kind === 'COPY' ? `source can't be a git ref for COPY: ${src}` : `ADD of a git repository is not supported: ${src}`;
      throw new TsbuildError('ADD_GIT_UNSUPPORTED', message, { location });
    }
    if (isUrl(src)) {
      items.push(urlItem(src, spec, location));
      continue;
    }
    const matched = pathItems(src, root, spec, source, filter, location);
    multiple ||= matched.length > 1;
    items.push(...matched);
  }
  if (items.length === 0) {
    throw new TsbuildError('NO_SOURCE_FILES', 'no source files were specified', { location });
  }
  return { items, multiple };
}

function pathItems(src: string, root: string, spec: CopySpec, source: CopySource, filter: TreeFilter, location?: SourceLocation): PathItem[] {
  const full = cleanSource(src, location);
  const pivot = spec.parents ? parentsPivot(src, location) : '';
  const names = hasWildcards(full) ? expandWildcard(full, root, source, filter) : [full];
  return names.map((name) => pathItem(name, src, root, pivot, spec, source, filter, location));
}

function pathItem(
  name: string,
  written: string,
  root: string,
  pivot: string,
  spec: CopySpec,
  source: CopySource,
  filter: TreeFilter,
  location?: SourceLocation,
): PathItem {
  const hostPath = resolveInRoot(root, name);
  const contextPath = path.relative(root, hostPath);
  const stat = lstatOrUndefined(hostPath);
  const hiddenByIgnore = filter.ignored(contextPath) && !(stat?.isDirectory() && filter.ignoreHasExceptions);
  if (stat === undefined || hiddenByIgnore) {
    const where = source.kind === 'context' ? ' in the build context' : '';
    const why = hiddenByIgnore && stat !== undefined ? ' (excluded by .dockerignore)' : '';
    throw new TsbuildError('SOURCE_NOT_FOUND', `${spec.kind} source "${written}" not found${where}${why}`, { location });
  }
  const parentsPath = spec.parents ? path.posix.relative(pivot, name) : undefined;
  if (parentsPath?.startsWith('..')) {
    throw new TsbuildError('SOURCE_OUTSIDE_CONTEXT', `--parents source "${written}" climbs above its /./ pivot`, { location });
  }
  const excludeBase = parentsPath ?? '';
  const entries = stat.isDirectory() ? walkTree(hostPath, contextPath, excludeBase, filter) : [];
  const item: PathItem = { kind: 'path', name, baseName: path.posix.basename(name) || '.', hostPath, stat, entries };
  if (parentsPath !== undefined) {
    item.parentsPath = parentsPath;
    item.parentDirs = parentDirectories(root, pivot, parentsPath);
  }
  return item;
}

/** `../x` and `/../x` leave the context: refused, as Docker does. Absolute paths are context-relative. */
function cleanSource(src: string, location?: SourceLocation): string {
  const normalized = path.posix.normalize(`./${src.replace(/^\/+/, '')}`);
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new TsbuildError('SOURCE_OUTSIDE_CONTEXT', `forbidden path outside the build context: ${src}`, { location });
  }
  return components(normalized).join('/');
}

/** `--parents` keeps the path below a `/./` pivot (`a/./b/c` keeps `b/c`), else the whole path. */
function parentsPivot(src: string, location?: SourceLocation): string {
  const at = src.indexOf('/./');
  return at < 0 ? '' : cleanSource(src.slice(0, at), location);
}

function expandWildcard(full: string, root: string, source: CopySource, filter: TreeFilter): string[] {
  const { base, pattern } = splitWildcards(full);
  const baseHost = resolveInRoot(root, base);
  const baseContext = path.relative(root, baseHost);
  const skip = (relative: string, isDir: boolean): boolean => {
    const contextPath = baseContext === '' ? relative : `${baseContext}/${relative}`;
    const sourcePath = base === '' ? relative : `${base}/${relative}`;
    const ignored = filter.ignored(contextPath) && !(isDir && filter.ignoreHasExceptions);
    const excluded = filter.excluded(sourcePath) && !(isDir && filter.excludeHasExceptions);
    return source.kind === 'context' ? ignored || excluded : excluded;
  };
  return matchWildcard(baseHost, pattern, skip).map((m) => joinRelative(base, m));
}

function parentDirectories(root: string, pivot: string, parentsPath: string): TreeEntry[] {
  const parts = components(parentsPath).slice(0, -1);
  return parts.map((_, i) => {
    const relative = parts.slice(0, i + 1).join('/');
    return entryFor(resolveInRoot(root, joinRelative(pivot, relative)), relative);
  });
}

function treeFilter(spec: CopySpec, source: CopySource): TreeFilter {
  const exclude = excludeMatcher(spec.exclude ?? []);
  const context = source.kind === 'context' ? source.context : undefined;
  return {
    ignored: (p) => context?.isExcluded(p) ?? false,
    ignoreHasExceptions: context?.hasExceptions ?? false,
    excluded: exclude.matches,
    excludeHasExceptions: exclude.hasExceptions,
  };
}

/** BuildKit's rules and messages for `--checksum`. */
function checkChecksumUse(spec: CopySpec, sources: string[], location?: SourceLocation): void {
  if (spec.checksum === undefined) return;
  const problem =
    spec.kind === 'COPY'
      ? "checksum can't be specified for COPY"
      : sources.length + spec.heredocs.length !== 1
        ? "checksum can't be specified for multiple sources"
        : !isUrl(sources[0] as string)
          ? "checksum can't be specified for non-HTTP(S) sources"
          : undefined;
  if (problem) throw new TsbuildError('ADD_CHECKSUM_NOT_ALLOWED', problem, { location });
}

function urlItem(src: string, spec: CopySpec, location?: SourceLocation): UrlItem {
  if (spec.kind === 'COPY') {
    throw new TsbuildError('COPY_URL_SOURCE', `source can't be a URL for COPY: ${src}`, { location });
  }
  const url = new URL(src);
  const base = path.posix.basename(decodeURIComponent(url.pathname));
  const baseName = base === '' || base === '.' || base === '/' ? '__unnamed__' : base;
  return { kind: 'url', url, baseName };
}

export function isUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

/** Git references BuildKit would clone (`git@…`, `git://…`, `https://…/repo.git[#ref]`). */
function isGitSource(src: string): boolean {
  return /^git@|^git:\/\//.test(src) || /^https?:\/\/[^#]+\.git(#.*)?$/i.test(src);
}

function isHeredocMarker(src: string, names: Set<string>): boolean {
  const match = /^<<-?(["']?)(.+)\1$/.exec(src);
  return match !== null && names.has(match[2] as string);
}

function joinRelative(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
