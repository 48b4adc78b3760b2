import { chmodSync, chownSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { CopyOptions, CopyResult, CopySpec } from './types.js';
import { selectSources, type HeredocItem, type PathItem, type UrlItem } from './select.js';
import { resolveInRoot } from './scoped-path.js';
import { parseChmod, type ModeChange } from './chmod.js';
import { resolveOwner, ROOT_OWNER, type Owner } from './owner.js';
import { Copier } from './copier.js';
import { entryFor } from './tree.js';
import { clearFileTarget, mkdirAll } from './fs-write.js';
import { archiveCompression, boundedStream, decompressedStream, expansionLimit } from './decompress.js';
import { applyLayer } from '@tsbuild/snapshot';
import { downloadTo, parseChecksum } from './remote.js';

/** What every item of one instruction shares. */
interface Plan {
  options: CopyOptions;
  destHost: string;
  /** --chown, or root for the context, or undefined to keep --from sources' owners. */
  copyOwner: Owner | undefined;
  /** Owner of directories COPY creates and of heredoc/URL files: --chown or root. */
  createdOwner: Owner;
  /** Mode of directories COPY creates: 0755, or --chmod applied to it. */
  createdDirMode: number;
  modeChange: ModeChange | undefined;
  location: SourceLocation | undefined;
  written: string[];
  entries: number;
}

/**
 * Runs a COPY or ADD into `destRoot` with Docker/BuildKit semantics: a directory source copies
 * its contents, a file goes into an existing directory or becomes the destination, several
 * sources need a destination ending in `/`, parents are created 0755 (owned by --chown or root).
 * Errors are TsbuildErrors carrying `options.location`.
 */
export async function copyInto(options: CopyOptions): Promise<CopyResult> {
  const { instruction: spec, location } = options;
  const selection = selectSources(spec, options.source, location);
  if (selection.multiple && !endsAsDirectory(spec.dest)) {
    throw new TsbuildError(
      'COPY_DEST_NOT_DIRECTORY',
      `When using ${spec.kind} with more than one source file, the destination must be a directory and end with a /`,
      { location },
    );
  }
  const chownOwner = spec.chown ? resolveOwner(spec.chown, options.destRoot, location) : undefined;
  const destInner = destinationPath(spec.dest, options.workdir ?? '/');
  const destIsDirectory = endsAsDirectory(spec.dest) || spec.parents === true;
  const createdOwner = chownOwner ?? ROOT_OWNER;
  const modeChange = spec.chmod ? parseChmod(spec.chmod, location) : undefined;
  const createdDirMode = modeChange ? modeChange(0o755, true) : 0o755;
  const ensured = resolveInRoot(options.destRoot, destIsDirectory ? destInner : path.posix.dirname(destInner));
  mkdirAll(ensured, createdOwner, location, createdDirMode);
  const plan: Plan = {
    options,
    destHost: resolveInRoot(options.destRoot, destInner),
    copyOwner: chownOwner ?? (options.source.kind === 'context' ? ROOT_OWNER : undefined),
    createdOwner,
    createdDirMode,
    modeChange,
    location,
    written: [],
    entries: 0,
  };
  const checksum = spec.checksum === undefined ? undefined : parseChecksum(spec.checksum, location);
  try {
    for (const item of selection.items) {
      if (item.kind === 'heredoc') writeHeredoc(plan, item);
      else if (item.kind === 'url') await download(plan, item, checksum);
      else await copyPath(plan, item, spec);
    }
  } catch (cause) {
    throw asCopyError(cause, spec, location);
  }
  return { written: plan.written, entries: plan.entries };
}

/** The destination inside the root: relative paths are below WORKDIR. */
export function destinationPath(dest: string, workdir: string): string {
  return path.posix.join('/', dest.startsWith('/') ? dest : path.posix.join(workdir, dest));
}

/** `dir/`, `.`, `..` and `dir/.` name a directory whether or not it exists. */
export function endsAsDirectory(dest: string): boolean {
  return dest === '' || dest.endsWith('/') || dest === '.' || dest.endsWith('/.') || dest === '..' || dest.endsWith('/..');
}

async function copyPath(plan: Plan, item: PathItem, spec: CopySpec): Promise<void> {
  if (item.parentsPath !== undefined) return copyWithParents(plan, item);
  if (item.stat.isDirectory()) return copyDirectoryContents(plan, item);
  if (spec.kind === 'ADD' && spec.unpack !== false) {
    const compression = await archiveCompression(item.hostPath);
    if (compression !== undefined) {
      mkdirAll(plan.destHost, plan.createdOwner, plan.location); // BuildKit unpacks into a 0755 directory
      const limit = expansionLimit(item.stat.size);
      const tooLarge = () =>
        new TsbuildError('ARCHIVE_TOO_LARGE', `ADD ${item.name}: the archive expands to more than ${limit} bytes (over ${Math.round(limit / Math.max(1, item.stat.size))} times its size); refusing what looks like a decompression bomb (TSBUILD_ADD_MAX_BYTES raises the limit)`, { location: plan.location });
      await applyLayer(boundedStream(decompressedStream(item.hostPath, compression), limit, tooLarge), plan.destHost, { name: item.name, archive: true });
      plan.entries++;
      record(plan, plan.destHost);
      return;
    }
  }
  const target = fileTarget(plan.destHost, item.baseName);
  mkdirAll(path.dirname(target), plan.createdOwner, plan.location, plan.createdDirMode);
  runCopier(plan, (copier) => copier.copyEntry(entryFor(item.hostPath, '', item.stat), target));
  record(plan, target);
}

/**
 * A directory source: its contents go into the destination, created 0755 if missing. As in
 * fsutil, the destination keeps its own mode and owner but takes the source directory's times.
 */
function copyDirectoryContents(plan: Plan, item: PathItem): void {
  const existing = statOrUndefined(plan.destHost);
  if (existing && !existing.isDirectory()) {
    throw new TsbuildError('COPY_DEST_NOT_DIRECTORY', `cannot copy directory "${item.name}" to non-directory ${relativeInRoot(plan, plan.destHost)}`, {
      location: plan.location,
    });
  }
  if (!existing) mkdirAll(plan.destHost, plan.createdOwner, plan.location, plan.createdDirMode);
  runCopier(plan, (copier) => copier.copyTree(item.entries, plan.destHost));
  utimesSync(plan.destHost, item.stat.atimeMs / 1000, item.stat.mtimeMs / 1000);
  record(plan, plan.destHost);
}

/** `--parents`: the item keeps its path below the pivot; the directories above copy their metadata. */
function copyWithParents(plan: Plan, item: PathItem): void {
  const target = path.join(plan.destHost, item.parentsPath as string);
  runCopier(plan, (copier) => {
    for (const dir of item.parentDirs ?? []) copier.copyEntry(dir, path.join(plan.destHost, dir.relative), false);
    copier.copyEntry(entryFor(item.hostPath, '', item.stat), target);
    if (item.stat.isDirectory()) copier.copyTree(item.entries, target);
  });
  record(plan, target);
}

function writeHeredoc(plan: Plan, item: HeredocItem): void {
  const target = fileTarget(plan.destHost, item.name);
  mkdirAll(path.dirname(target), plan.createdOwner, plan.location, plan.createdDirMode);
  clearFileTarget(target, plan.location);
  writeFileSync(target, item.content, { mode: 0o644 });
  chownSync(target, plan.createdOwner.uid, plan.createdOwner.gid);
  chmodSync(target, plan.modeChange ? plan.modeChange(0o644, false) : 0o644);
  plan.entries++;
  record(plan, target);
}

async function download(plan: Plan, item: UrlItem, checksum: ReturnType<typeof parseChecksum> | undefined): Promise<void> {
  const target = fileTarget(plan.destHost, item.baseName);
  mkdirAll(path.dirname(target), plan.createdOwner, plan.location, plan.createdDirMode);
  await downloadTo(item.url, target, {
    checksum,
    owner: plan.createdOwner,
    modeChange: plan.modeChange,
    location: plan.location,
    signal: plan.options.signal,
  });
  plan.entries++;
  record(plan, target);
}

/** A file goes into an existing directory under its own name, else it becomes the destination. */
function fileTarget(destHost: string, baseName: string): string {
  return statOrUndefined(destHost)?.isDirectory() ? path.join(destHost, baseName) : destHost;
}

function runCopier(plan: Plan, work: (copier: Copier) => void): void {
  const copier = new Copier({ owner: plan.copyOwner, modeChange: plan.modeChange, location: plan.location });
  work(copier);
  copier.finish();
  plan.entries += copier.entriesWritten;
}

function record(plan: Plan, hostPath: string): void {
  plan.written.push(relativeInRoot(plan, hostPath));
}

function relativeInRoot(plan: Plan, hostPath: string): string {
  return `/${path.relative(plan.options.destRoot, hostPath)}`;
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Keeps TsbuildErrors; wraps file system failures with the instruction and its line. */
function asCopyError(cause: unknown, spec: CopySpec, location?: SourceLocation): TsbuildError {
  if (cause instanceof TsbuildError) {
    return cause.location || !location ? cause : new TsbuildError(cause.code, cause.message, { location, kind: cause.kind, detail: cause.detail, cause });
  }
  const message = (cause as Error).message ?? String(cause);
  return new TsbuildError('COPY_FAILED', `${spec.kind} failed: ${message}`, { location, cause });
}
