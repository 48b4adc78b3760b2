import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';

import { KeyTrails, StepCache, type CachedStep } from '@tsbuild/cache';
import { ContentStore, ImageStore, isIndexMediaType, isManifestMediaType, type ImageIndex, type ImageManifest } from '@tsbuild/oci';
import { mountsUnder } from '@tsbuild/snapshot';

import { cleanupInterrupted } from './leftovers.js';
import { isStaleWorkspace } from './workspace.js';

/**
 * Housekeeping of a tsbuild root: `check` (is everything whole and consistent?), `du` (what does
 * it hold?) and `prune` (remove what nothing needs). The layout: content/ (blobs), images/
 * (names), snapshots/ (unpacked chains), cache/steps (records), cache/trails (why a step missed),
 * cache/mounts, compressed/, work/.
 */

export interface CheckReport {
  /** Leftovers of killed runs removed before checking (as the next build would). */
  cleaned: number;
  blobs: number;
  images: number;
  records: number;
  snapshots: number;
  problems: string[];
}

/** Verifies every blob against its digest and that every name, record and snapshot refers to what exists. */
export async function checkRoot(root: string): Promise<CheckReport> {
  const cleaned = await cleanupInterrupted(root);
  const store = new ContentStore(root);
  const problems: string[] = [];
  let blobs = 0;
  for await (const blob of store.list()) {
    blobs++;
    try {
      const stream = store.createReadStream(blob.digest);
      stream.resume();
      await finished(stream);
    } catch {
      problems.push(`blob ${blob.digest} does not match its digest`);
    }
  }
  const images = await new ImageStore(root).list();
  for (const image of images) {
    for (const missing of await missingBlobs(store, image.target)) problems.push(`image ${image.name} refers to missing blob ${missing}`);
  }
  const records = readRecords(root);
  for (const { key, record } of records) {
    if (record === undefined) problems.push(`cache record ${key} is not valid JSON`);
    else if (record.diffId && !(await store.has(record.diffId))) problems.push(`cache record ${key} refers to missing layer ${record.diffId}`);
  }
  const snapshots = snapshotDirs(root);
  for (const dir of snapshots) {
    if (!existsSync(path.join(dir, 'fs'))) problems.push(`snapshot ${path.basename(dir)} has no file system`);
  }
  const linkDir = path.join(root, 'snapshots', 'l');
  for (const link of listDir(linkDir)) {
    if (!existsSync(path.join(linkDir, link))) problems.push(`snapshot link l/${link} points at nothing`);
  }
  for (const leftover of leftovers(root)) problems.push(`left behind by an interrupted run: ${leftover}`);
  return { cleaned, blobs, images: images.length, records: records.length, snapshots: snapshots.length, problems };
}

export interface DiskUsage {
  blobs: { count: number; bytes: number };
  snapshots: { count: number; bytes: number };
  records: number;
  cacheMounts: { count: number; bytes: number };
}

export async function diskUsage(root: string): Promise<DiskUsage> {
  let count = 0;
  let bytes = 0;
  for await (const blob of new ContentStore(root).list()) {
    count++;
    bytes += blob.size;
  }
  const snapshots = snapshotDirs(root);
  const mounts = listDir(path.join(root, 'cache', 'mounts'));
  return {
    blobs: { count, bytes },
    snapshots: { count: snapshots.length, bytes: duBytes(snapshots) },
    records: readRecords(root).length,
    cacheMounts: { count: mounts.length, bytes: duBytes(mounts.map((m) => path.join(root, 'cache', 'mounts', m))) },
  };
}

export interface PruneResult {
  blobs: number;
  bytes: number;
  records: number;
  snapshots: number;
  /** Key trails (why a step missed) of steps whose record is gone. */
  trails: number;
}

/** Blobs younger than this are left alone: a running build may have written them and not named them yet. */
const GRACE_MS = 10 * 60 * 1000;

/**
 * Removes cache records whose layer is gone, blobs that no image name or record needs, and what
 * interrupted runs left. With `all`, the step cache, cache mounts and every unmounted snapshot go
 * too. Nothing a named image needs is ever removed.
 */
export interface PruneOptions {
  all?: boolean;
  /** `--keep-storage`: drop the oldest cache records (and the blobs only they need) until the blobs fit in this many bytes. */
  keepBytes?: number;
  graceMs?: number;
}

export async function pruneRoot(root: string, options: PruneOptions = {}): Promise<PruneResult> {
  await cleanupInterrupted(root);
  const store = new ContentStore(root);
  const result: PruneResult = { blobs: 0, bytes: 0, records: 0, snapshots: 0, trails: 0 };
  const dropRecord = (key: string) => {
    rmSync(recordFile(root, key), { force: true });
    result.records++;
  };

  const named = new Set<string>();
  for (const image of await new ImageStore(root).list()) for (const digest of await reachable(store, image.target)) named.add(digest);
  const kept: Array<{ key: string; record: CachedStep }> = [];
  for (const { key, record } of readRecords(root)) {
    const keep = !options.all && record !== undefined && (!record.diffId || (await store.has(record.diffId)));
    if (keep) kept.push({ key, record });
    else dropRecord(key);
  }
  await removeUnneeded(store, root, named, kept, options.graceMs ?? GRACE_MS, result);
  if (options.keepBytes !== undefined) {
    // Oldest first, as BuildKit's keep-storage gives up the least recently made cache.
    kept.sort((a, b) => a.record.created.localeCompare(b.record.created));
    while (kept.length > 0 && (await storedBytes(store)) > options.keepBytes) {
      dropRecord(kept.shift()!.key);
      await removeUnneeded(store, root, named, kept, options.graceMs ?? GRACE_MS, result);
    }
  }
  if (options.all) {
    rmSync(path.join(root, 'cache', 'mounts'), { recursive: true, force: true });
    result.snapshots = removeSnapshots(root);
  }
  const keptKeys = new Set(kept.map((k) => k.key));
  result.trails = await new KeyTrails(root).prune((key) => keptKeys.has(key));
  return result;
}

/** Deletes blobs that neither a named image nor a kept record (nor its gzip copy) needs. */
async function removeUnneeded(store: ContentStore, root: string, named: Set<string>, kept: Array<{ record: CachedStep }>, graceMs: number, result: PruneResult): Promise<void> {
  const live = new Set(named);
  for (const { record } of kept) if (record.diffId) live.add(record.diffId);
  for (const memo of compressedRecords(root)) if (live.has(memo.diffId)) live.add(memo.digest);
  const cutoff = Date.now() - graceMs;
  for await (const blob of store.list()) {
    if (live.has(blob.digest) || statSync(store.blobPath(blob.digest)).mtimeMs > cutoff) continue;
    await store.delete(blob.digest);
    result.blobs++;
    result.bytes += blob.size;
  }
  for (const memo of compressedRecords(root)) {
    if (!(await store.has(memo.digest))) rmSync(memo.file, { force: true });
  }
}

async function storedBytes(store: ContentStore): Promise<number> {
  let bytes = 0;
  for await (const blob of store.list()) bytes += blob.size;
  return bytes;
}

/** Digests an image needs that the store lacks (an index's other platforms are not needed). */
async function missingBlobs(store: ContentStore, target: { digest: string; mediaType: string }): Promise<string[]> {
  const missing: string[] = [];
  const visit = async (descriptor: { digest: string; mediaType: string }, optional: boolean): Promise<void> => {
    if (!(await store.has(descriptor.digest))) {
      if (!optional) missing.push(descriptor.digest);
      return;
    }
    if (isIndexMediaType(descriptor.mediaType)) {
      const index = await store.readJson<ImageIndex>(descriptor.digest);
      for (const child of index.manifests) await visit(child, true);
    } else if (isManifestMediaType(descriptor.mediaType)) {
      const manifest = await store.readJson<ImageManifest>(descriptor.digest);
      for (const blob of [manifest.config, ...manifest.layers]) if (!(await store.has(blob.digest))) missing.push(blob.digest);
    }
  };
  await visit(target, false);
  return missing;
}

async function reachable(store: ContentStore, target: { digest: string; mediaType: string }): Promise<string[]> {
  const digests: string[] = [];
  const visit = async (descriptor: { digest: string; mediaType: string }): Promise<void> => {
    if (!(await store.has(descriptor.digest))) return;
    digests.push(descriptor.digest);
    if (isIndexMediaType(descriptor.mediaType)) {
      for (const child of (await store.readJson<ImageIndex>(descriptor.digest)).manifests) await visit(child);
    } else if (isManifestMediaType(descriptor.mediaType)) {
      const manifest = await store.readJson<ImageManifest>(descriptor.digest);
      digests.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
    }
  };
  await visit(target);
  return digests;
}

function readRecords(root: string): Array<{ key: string; record: CachedStep | undefined }> {
  const dir = path.join(root, 'cache', 'steps');
  return listDir(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => {
      const key = `sha256:${name.slice(0, -'.json'.length)}`;
      try {
        return { key, record: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as CachedStep };
      } catch {
        return { key, record: undefined };
      }
    });
}

function recordFile(root: string, key: string): string {
  return path.join(root, 'cache', 'steps', `${key.replace(/^sha256:/, '')}.json`);
}

/** compressLayer's memo files: `<diffID hex>.<gzip|zstd>-<level>.json` → the compressed blob. */
function compressedRecords(root: string): Array<{ file: string; diffId: string; digest: string }> {
  const dir = path.join(root, 'compressed');
  return listDir(dir).flatMap((name) => {
    const match = /^([a-f0-9]{64})\.(?:gzip|zstd)-\d+\.json$/.exec(name);
    if (!match) return [];
    try {
      const blob = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { digest: string };
      return [{ file: path.join(dir, name), diffId: `sha256:${match[1]}`, digest: blob.digest }];
    } catch {
      return [];
    }
  });
}

function snapshotDirs(root: string): string[] {
  const dir = path.join(root, 'snapshots');
  return listDir(dir).filter((name) => /^[a-f0-9]{64}$/.test(name)).map((name) => path.join(dir, name));
}

/** Every snapshot not under a mount; the short links go with them. */
function removeSnapshots(root: string): number {
  const mounted = mountsUnder(path.join(root, 'work')).length > 0;
  if (mounted) return 0; // a build is running: its lowers must stay
  let removed = 0;
  for (const dir of snapshotDirs(root)) {
    rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  rmSync(path.join(root, 'snapshots', 'l'), { recursive: true, force: true });
  return removed;
}

function leftovers(root: string): string[] {
  const found: string[] = [];
  const ingest = path.join(root, 'content', 'ingest');
  for (const name of listDir(ingest)) if (isStaleWorkspace(name)) found.push(`content/ingest/${name}`);
  for (const name of listDir(path.join(root, 'snapshots'))) if (/^tmp-\d+-/.test(name) && isStaleWorkspace(name.slice(4))) found.push(`snapshots/${name}`);
  for (const name of listDir(path.join(root, 'work'))) if (isStaleWorkspace(name)) found.push(`work/${name}`);
  return found;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function duBytes(dirs: string[]): number {
  if (dirs.length === 0) return 0;
  const output = execFileSync('du', ['-sbc', ...dirs], { encoding: 'utf8' });
  return Number(/(\d+)\s+total\s*$/.exec(output)?.[1] ?? 0);
}
