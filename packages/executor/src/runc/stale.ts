import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runtimeCommand } from './runtime-cli.js';
import { bundlesDir, defaultRunsRoot, isProcessAlive, ownerPid, runtimeStateDir } from './state-dirs.js';
import type { RuntimeName } from './types.js';

export interface StaleCleanup {
  /** Container ids deleted from the runtime's state. */
  containers: string[];
  /** Bundle directories removed. */
  bundles: string[];
}

const RUNTIMES: RuntimeName[] = ['runc', 'crun'];

/**
 * Removes what killed tsbuild processes left under `stateRoot`: containers (killed, then deleted)
 * and bundle directories whose id names a process that no longer exists. Containers of live
 * processes, this one included, are left alone, so concurrent builds are safe.
 */
export async function cleanupStaleContainers(stateRoot: string = defaultRunsRoot()): Promise<StaleCleanup> {
  const containers: string[] = [];
  for (const runtime of RUNTIMES) {
    const stateDir = runtimeStateDir(stateRoot, runtime);
    if (!existsSync(stateDir)) continue;
    for (const id of await containerIds(runtime, stateDir)) {
      if (!isStale(id)) continue;
      await runtimeCommand(runtime, stateDir, ['delete', '--force', id]).catch(() => undefined);
      // A runtime killed mid-create can leave a state directory it no longer lists.
      rmSync(path.join(stateDir, id), { recursive: true, force: true });
      containers.push(id);
    }
  }
  const bundles = entries(bundlesDir(stateRoot)).filter(isStale);
  for (const id of bundles) rmSync(path.join(bundlesDir(stateRoot), id), { recursive: true, force: true });
  return { containers, bundles };
}

/** The ids `<runtime> list` reports plus any state directory it does not. */
async function containerIds(runtime: RuntimeName, stateDir: string): Promise<string[]> {
  const ids = new Set(entries(stateDir));
  // The runtime lists what its state directory holds: nothing there, nothing to ask (saves a spawn).
  if (ids.size === 0) return [];
  const listed = await runtimeCommand(runtime, stateDir, ['list', '--format', 'json']).catch(() => undefined);
  if (listed?.code === 0) {
    try {
      const containers = JSON.parse(listed.stdout) as { id: string }[] | null;
      for (const container of containers ?? []) ids.add(container.id);
    } catch {
      // Unparseable output: the directory entries still name every container.
    }
  }
  return [...ids];
}

function isStale(id: string): boolean {
  const pid = ownerPid(id);
  return pid !== undefined && pid !== process.pid && !isProcessAlive(pid);
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
