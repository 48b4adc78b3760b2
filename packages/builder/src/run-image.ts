import { TsbuildError } from '@tsbuild/errors';
import { runContainer, type BindMount, type OutputStream, type RuntimeName } from '@tsbuild/executor';
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
  /** `-e`: `KEY=VALUE` entries over the image's Env (same key: this one wins). */
  env?: string[];
  /** `--entrypoint`: replaces the image's ENTRYPOINT and drops its CMD (as docker run does); `[]` clears it. */
  entrypoint?: string[];
  /** `-w`: the working directory instead of the image's WORKDIR. */
  workdir?: string;
  /** `-u`: the user instead of the image's USER. */
  user?: string;
  /** `-v`: host directories or files bound into the container. */
  volumes?: BindMount[];
  network?: 'host' | 'none';
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
  const entrypoint = options.entrypoint ?? c.Entrypoint ?? [];
  const cmd = options.entrypoint !== undefined ? [] : (c.Cmd ?? []);
  const argv = [...entrypoint, ...(options.args?.length ? options.args : cmd)];
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
        env: mergeEnv(c.Env ?? [], options.env ?? []),
        cwd: options.workdir ?? (c.WorkingDir || '/'),
        user: options.user ?? c.User ?? '',
        ...(options.volumes?.length ? { mounts: options.volumes } : {}),
        ...(options.network ? { network: options.network } : {}),
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

/** The image's `KEY=VALUE` entries with `overrides` replacing those of the same key, then the new ones. */
function mergeEnv(image: string[], overrides: string[]): string[] {
  const key = (entry: string) => entry.split('=', 1)[0];
  const replaced = new Set(overrides.map(key));
  return [...image.filter((entry) => !replaced.has(key(entry))), ...overrides];
}
