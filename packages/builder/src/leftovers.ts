import path from 'node:path';

import { cleanupStaleContainers } from '@tsbuild/executor';
import { ContentStore } from '@tsbuild/oci';
import { cleanupStale } from '@tsbuild/snapshot';

import { cleanupStaleWorkspaces } from './workspace.js';

/** Where a root keeps the runtime's container state and bundles. */
export function runsRoot(root: string): string {
  return path.join(root, 'runs');
}

/**
 * Removes what killed tsbuild processes left in `root`: workspaces and their mounts, snapshot
 * temp dirs, containers, half-written blobs. What live processes own is left alone, so this is
 * safe beside concurrent builds. Returns how many leftovers went.
 */
export async function cleanupInterrupted(root: string): Promise<number> {
  const workspaces = await cleanupStaleWorkspaces(root);
  const snapshots = await cleanupStale(root);
  const { containers, bundles } = await cleanupStaleContainers(runsRoot(root));
  const blobs = await new ContentStore(root).cleanIngest();
  return workspaces.length + snapshots.length + containers.length + bundles.length + blobs;
}
