import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { defaultRoot } from '@tsbuild/oci';
import type { RuntimeName } from './types.js';

/**
 * Layout under a state root (default `$TSBUILD_ROOT/runs`):
 *   <root>/runc/, <root>/crun/   the runtime's own `--root`, so we never see other tools' containers
 *   <root>/bundles/<id>/         config.json, the generated /etc files and the runtime's log
 * A container id carries the pid of the process that started it (`tsbuild-<pid>-<random>`), so a
 * later process can tell what a killed one left behind.
 */
export const CONTAINER_PREFIX = 'tsbuild-';

export function defaultRunsRoot(): string {
  return path.join(defaultRoot(), 'runs');
}

export function runtimeStateDir(stateRoot: string, runtime: RuntimeName): string {
  return path.join(stateRoot, runtime);
}

export function bundlesDir(stateRoot: string): string {
  return path.join(stateRoot, 'bundles');
}

export function newContainerId(): string {
  return `${CONTAINER_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The pid that started container `id`, or undefined for a name that is not ours. */
export function ownerPid(id: string): number | undefined {
  const match = /^tsbuild-(\d+)-[0-9a-f]+$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
