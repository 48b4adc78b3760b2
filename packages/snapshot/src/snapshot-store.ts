import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import { chainIds, digestHex, processAlive, withFileLock } from '@tsbuild/oci';

import { applyLayer } from './apply-layer.js';
import { mountOverlay, mountsUnder, unmount } from './mount.js';

/** A layer to unpack: its diffID and a way to read its (possibly compressed) tar. */
export interface LayerSource {
  diffId: string;
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

export interface ChainMount {
  upper: string;
  work: string;
  target: string;
}

const SHORT_ID_LENGTH = 16;
const TEMP_PREFIX = 'tmp-';

/**
 * Unpacked layers, one directory per chainID: `<root>/snapshots/<chainHex>/fs`, each an overlay
 * lower directory (deletions stored as whiteouts, opaque directories marked), made once and
 * reused. `<root>/snapshots/l/<shortId>` links to each, so a mount run in `<root>/snapshots`
 * names 120 lowers in a few KiB of options (Docker overlay2's trick).
 */
export class SnapshotStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'snapshots');
  }

  /** The unpacked directory of the layer whose chainID is `chainId`. */
  snapshotPath(chainId: string): string {
    return path.join(this.dir, digestHex(chainId), 'fs');
  }

  /** The lowerdir name to pass (relative to `dir`) for a chainID. */
  shortLower(chainId: string): string {
    return `l/${digestHex(chainId).slice(0, SHORT_ID_LENGTH)}`;
  }

  /**
   * Makes sure every layer of the chain is unpacked (oldest first), unpacking the missing ones;
   * returns the chainIDs. Concurrent callers (other processes too) unpack each layer once.
   */
  async prepare(layers: LayerSource[]): Promise<string[]> {
    const ids = chainIds(layers.map((layer) => layer.diffId));
    for (const [index, layer] of layers.entries()) {
      await this.unpackOnce(ids.slice(0, index + 1), layer);
    }
    return ids;
  }

  /**
   * Unpacks what is missing, then mounts overlayfs on `mount.target` with the chain as lowers
   * (newest first) and the given upper and work directories. An empty chain gets an empty lower.
   */
  async mountChain(layers: LayerSource[], mount: ChainMount): Promise<void> {
    const ids = await this.prepare(layers);
    const lowers = ids.length === 0 ? [this.emptyLower()] : ids.map((id) => this.shortLower(id)).reverse();
    await mountOverlay({ ...mount, lowers, cwd: this.dir });
  }

  /**
   * Makes `dir` (an overlay upperdir a step just wrote, on the same file system) the snapshot of
   * `chainId`, so the next step mounts it instead of unpacking the layer tar again. An upperdir
   * is already in lowerdir form (whiteouts, opaque marks). If the snapshot exists, `dir` is dropped.
   */
  async adopt(chainId: string, dir: string): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await withFileLock(path.join(this.dir, `${digestHex(chainId)}.lock`), async () => {
      if (existsSync(this.snapshotPath(chainId))) return;
      const temp = path.join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomUUID()}`);
      mkdirSync(temp);
      renameSync(dir, path.join(temp, 'fs'));
      renameSync(temp, path.dirname(this.snapshotPath(chainId)));
    }, 30 * 60 * 1000);
    rmSync(dir, { recursive: true, force: true });
    this.ensureShortLink(chainId);
  }

  private emptyLower(): string {
    const empty = path.join(this.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    return 'empty';
  }

  private async unpackOnce(chain: string[], layer: LayerSource): Promise<void> {
    const chainId = chain[chain.length - 1] as string;
    if (existsSync(this.snapshotPath(chainId))) return this.ensureShortLink(chainId);
    mkdirSync(this.dir, { recursive: true });
    await withFileLock(path.join(this.dir, `${digestHex(chainId)}.lock`), async () => {
      if (!existsSync(this.snapshotPath(chainId))) await this.unpack(chain, layer);
    }, 30 * 60 * 1000);
    this.ensureShortLink(chainId);
  }

  /** Unpacks into a temp dir (over a merged mount of the parents) and renames it into place. */
  private async unpack(chain: string[], layer: LayerSource): Promise<void> {
    const chainId = chain[chain.length - 1] as string;
    const temp = path.join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomUUID()}`);
    const upper = path.join(temp, 'fs');
    mkdirSync(upper, { recursive: true });
    try {
      const parents = chain.slice(0, -1);
      let applied;
      if (parents.length === 0) {
        applied = await applyLayer(await layer.open(), upper, { name: `layer ${layer.diffId}` });
      } else {
        const work = path.join(temp, 'work');
        const merged = path.join(temp, 'merged');
        mkdirSync(work);
        mkdirSync(merged);
        await mountOverlay({ lowers: parents.map((id) => this.shortLower(id)).reverse(), upper, work, target: merged, cwd: this.dir });
        try {
          applied = await applyLayer(await layer.open(), merged, { name: `layer ${layer.diffId}` });
        } finally {
          await unmount(merged);
        }
        rmSync(work, { recursive: true, force: true });
        rmSync(merged, { recursive: true, force: true });
      }
      if (applied.diffId !== layer.diffId) {
        throw new TsbuildError('LAYER_DIFFID_MISMATCH', `layer ${layer.diffId} unpacks to a tar whose digest is ${applied.diffId}`);
      }
      renameSync(temp, path.dirname(this.snapshotPath(chainId)));
    } catch (error) {
      for (const point of mountsUnder(temp)) await unmount(point).catch(() => undefined);
      rmSync(temp, { recursive: true, force: true });
      throw error;
    }
  }

  private ensureShortLink(chainId: string): void {
    const link = path.join(this.dir, this.shortLower(chainId));
    if (existsSync(link)) return;
    mkdirSync(path.dirname(link), { recursive: true });
    const temp = `${link}.${randomUUID()}.tmp`;
    symlinkSync(`../${digestHex(chainId)}/fs`, temp);
    renameSync(temp, link);
  }
}

/**
 * Removes what killed runs left under `<root>/snapshots`: mounts and temp dirs of processes
 * that no longer exist (a live process's unpack is left alone). Returns the paths removed.
 */
export async function cleanupStale(root: string): Promise<string[]> {
  const dir = path.join(root, 'snapshots');
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    const temp = path.join(dir, name);
    for (const point of mountsUnder(temp)) await unmount(point);
    rmSync(temp, { recursive: true, force: true });
    removed.push(temp);
  }
  return removed;
}

