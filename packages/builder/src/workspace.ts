import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import { processAlive } from '@tsbuild/oci';
import { mountsUnder, unmount, type LayerSource, type SnapshotStore } from '@tsbuild/snapshot';

/** A root file system mounted for one step: writes land in `upper`, `merged` is what the step sees. */
export interface MountedRoot {
  merged: string;
  upper: string;
  /** Unmounts and removes the mount's directories except `upper` when `keepUpper` is set. */
  release(options?: { keepUpper?: boolean }): Promise<void>;
}

const WORK_DIR = 'work';

/**
 * The build's scratch space, `<root>/work/<pid>-<uuid>`: every overlay mount of a build lives here
 * so that `close()` (and, after a crash, `cleanupStaleWorkspaces`) can find and remove them all.
 */
export class Workspace {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static open(root: string): Workspace {
    const dir = path.join(root, WORK_DIR, `${process.pid}-${randomUUID()}`);
    mkdirSync(dir, { recursive: true });
    return new Workspace(dir);
  }

  /** Mounts `layers` (oldest first) with a fresh, empty upper directory. */
  async mount(snapshots: SnapshotStore, layers: LayerSource[]): Promise<MountedRoot> {
    const base = path.join(this.dir, randomUUID());
    const dirs = { upper: path.join(base, 'upper'), work: path.join(base, 'work'), target: path.join(base, 'merged') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    try {
      await snapshots.mountChain(layers, dirs);
    } catch (error) {
      rmSync(base, { recursive: true, force: true });
      if (process.getuid?.() !== 0) {
        throw new TsbuildError('NOT_ROOT', 'building needs root: tsbuild mounts overlayfs and starts runc containers; run it as root (sudo tsbuild …)', { cause: error });
      }
      throw error;
    }
    let released = false;
    return {
      merged: dirs.target,
      upper: dirs.upper,
      release: async ({ keepUpper = false } = {}) => {
        if (released) return;
        released = true;
        await unmount(dirs.target);
        rmSync(dirs.work, { recursive: true, force: true });
        rmSync(dirs.target, { recursive: true, force: true });
        if (!keepUpper) rmSync(base, { recursive: true, force: true });
      },
    };
  }

  /** A fresh directory inside the workspace (removed with it). */
  tempDir(): string {
    const dir = path.join(this.dir, randomUUID());
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Unmounts everything still mounted here (deepest first) and removes the workspace. */
  async close(): Promise<void> {
    for (const point of mountsUnder(this.dir)) await unmount(point).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Removes workspaces of builds whose process is gone (killed with SIGKILL, machine reset). */
export async function cleanupStaleWorkspaces(root: string): Promise<string[]> {
  const parent = path.join(root, WORK_DIR);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isStaleWorkspace(name)) continue;
    const dir = path.join(parent, name);
    for (const point of mountsUnder(dir)) await unmount(point).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** A workspace directory (`<pid>-<uuid>`) whose process is gone. */
export function isStaleWorkspace(name: string): boolean {
  const pid = Number(name.split('-')[0]);
  return Number.isInteger(pid) && !processAlive(pid);
}

