import { TsbuildError } from '@tsbuild/errors';
import { runContainer, type OutputStream, type RuntimeName } from '@tsbuild/executor';
import { hostPlatform } from '@tsbuild/oci';
import type { RegistryClient } from '@tsbuild/registry';
import { SnapshotStore } from '@tsbuild/snapshot';

import { cleanupInterrupted, runsRoot } from './leftovers.js';
import { ImageSource } from './image-source.js';
import { Workspace } from './workspace.js';

export interface RunImageOptions {
  root: string;
  registry: RegistryClient;
  ref: string;
  /** Replaces the image's CMD when not empty. */
  args?: string[];
  runtime?: RuntimeName;
  signal?: AbortSignal;
  onOutput?: (line: string, stream: OutputStream) => void;
}

/**
 * Runs an image's ENTRYPOINT + CMD in a throwaway container (as `docker run --rm`): the image's
 * layers as lowers, a fresh upper that is dropped afterwards. Returns the exit code.
 */
export async function runImage(options: RunImageOptions): Promise<number> {
  await cleanupInterrupted(options.root);
  const images = new ImageSource({ store: options.registry.store, images: options.registry.images, registry: options.registry });
  const image = await images.get(options.ref, hostPlatform());
  const c = image.config.config ?? {};
  const argv = [...(c.Entrypoint ?? []), ...(options.args?.length ? options.args : (c.Cmd ?? []))];
  if (argv.length === 0) throw new TsbuildError('NO_COMMAND', `image ${options.ref} has no ENTRYPOINT or CMD; give a command to run`, { kind: 'usage' });
  const workspace = Workspace.open(options.root);
  try {
    const snapshots = new SnapshotStore(options.root);
    const layers = image.layers.map((l) => ({ diffId: l.diffId, open: () => options.registry.store.createReadStream(l.blob.digest) }));
    const mounted = await workspace.mount(snapshots, layers);
    const result = await runContainer(
      {
        rootfs: mounted.merged,
        args: argv,
        env: c.Env ?? [],
        cwd: c.WorkingDir || '/',
        user: c.User ?? '',
        ...(options.runtime ? { runtime: options.runtime } : {}),
        stateRoot: runsRoot(options.root),
      },
      { ...(options.onOutput ? { onOutput: options.onOutput } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    await mounted.release();
    return result.exitCode;
  } finally {
    await workspace.close();
  }
}
