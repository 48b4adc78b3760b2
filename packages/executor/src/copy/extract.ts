import { chmodSync, chownSync, createWriteStream, lchownSync, linkSync, lutimesSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import { resolveInRoot, components } from './scoped-path.js';
import { clearFileTarget, ensureDirectory, mkdirAll } from './fs-write.js';
import { ROOT_OWNER } from './owner.js';

/**
 * Extracts a plain tar stream into `destDir` as `docker build` ADD does (chrooted Untar): owners,
 * modes and times from the archive, symlinks and `..` never lead outside `destDir`, existing
 * files replaced. Returns the number of entries written.
 */
export async function extractTar(stream: Readable, destDir: string, archiveName: string, location?: SourceLocation): Promise<number> {
  const extract = tar.extract();
  stream.on('error', (error) => extract.destroy(error));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const directories: Array<{ target: string; header: tar.Header }> = [];
  let written = 0;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const target = entryTarget(destDir, header.name, archiveName, location);
      if (target === undefined) {
        entry.resume();
        continue;
      }
      mkdirAll(path.dirname(target), ROOT_OWNER, location);
      if (await writeEntry(entry as unknown as EntryStream, header, target, destDir, archiveName, location)) written++;
      if (header.type === 'directory') directories.push({ target, header });
    }
  } catch (cause) {
    if (cause instanceof TsbuildError) throw cause;
    throw new TsbuildError('ADD_ARCHIVE_INVALID', `cannot extract ${archiveName}: ${(cause as Error).message}`, { location, cause });
  }
  for (const { target, header } of directories.reverse()) applyHeaderInfo(target, header);
  return written;
}

/** The host path for an archive member, or undefined for the archive root itself. */
function entryTarget(destDir: string, name: string, archiveName: string, location?: SourceLocation): string | undefined {
  const normalized = path.posix.normalize(`./${name}`);
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new TsbuildError('ADD_ARCHIVE_UNSAFE', `${archiveName}: member "${name}" points outside the destination`, { location });
  }
  const parts = components(normalized);
  if (parts.length === 0) return undefined;
  const parent = resolveInRoot(destDir, parts.slice(0, -1).join('/'));
  return path.join(parent, parts[parts.length - 1] as string);
}

type EntryStream = AsyncIterable<Buffer> & { resume(): unknown };

async function writeEntry(
  entry: EntryStream,
  header: tar.Header,
  target: string,
  destDir: string,
  archiveName: string,
  location?: SourceLocation,
): Promise<boolean> {
  switch (header.type) {
    case 'directory':
      ensureDirectory(target, header.mode ?? 0o755, location);
      entry.resume();
      return true;
    case 'file':
    case 'contiguous-file':
      clearFileTarget(target, location);
      await pipeline(entry, createWriteStream(target, { mode: 0o600 }));
      applyHeaderInfo(target, header);
      return true;
    case 'symlink':
      entry.resume();
      clearFileTarget(target, location);
      symlinkSync(header.linkname ?? '', target);
      lchownSync(target, header.uid ?? 0, header.gid ?? 0);
      if (header.mtime) lutimesSync(target, header.mtime, header.mtime);
      return true;
    case 'link': {
      entry.resume();
      const linkName = path.posix.normalize(`./${header.linkname ?? ''}`);
      if (linkName === '..' || linkName.startsWith('../')) {
        throw new TsbuildError('ADD_ARCHIVE_UNSAFE', `${archiveName}: hardlink "${header.name}" points outside the destination`, { location });
      }
      clearFileTarget(target, location);
      linkSync(resolveInRoot(destDir, linkName, false), target);
      return true;
    }
    default:
      entry.resume(); // devices, fifos and pax records are not extracted
      return false;
  }
}

function applyHeaderInfo(target: string, header: tar.Header): void {
  chownSync(target, header.uid ?? 0, header.gid ?? 0);
  chmodSync(target, (header.mode ?? 0o644) & 0o7777);
  if (header.mtime) utimesSync(target, header.mtime, header.mtime);
}
