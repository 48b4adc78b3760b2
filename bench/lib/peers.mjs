// What the build benchmarks share: a tsbuild root and a buildah storage in one work dir, each with
// the same busybox base image (built by tsbuild, handed to buildah as an OCI archive).
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(repo, 'packages/cli/bin/tsbuild.js');

export function peers(work) {
  const env = { ...process.env, TSBUILD_ROOT: join(work, 'root'), CI: 'true' };
  const buildah = ['--root', join(work, 'buildah'), '--runroot', join(work, 'buildah-run'), '--storage-driver', 'overlay'];
  return {
    env,
    buildah,
    /** busybox:latest in both stores. */
    setupBase() {
      execFileSync(join(repo, 'scripts/make-busybox-rootfs.sh'), { stdio: 'ignore' });
      const archive = join(work, 'busybox.tar');
      timed(process.execPath, [cli, 'build', '-q', '--source-date-epoch', '0', '-t', 'busybox:latest', '-o', `type=oci,dest=${archive}`, join(repo, 'examples/busybox')], env);
      timed('buildah', [...buildah, 'pull', '-q', `oci-archive:${archive}`]);
      const id = execFileSync('buildah', [...buildah, 'images', '-q'], { encoding: 'utf8' }).trim().split('\n')[0];
      timed('buildah', [...buildah, 'tag', id, 'docker.io/library/busybox:latest']);
    },
    /** Removes buildah's containers, images and mounts, and the work dir unless `keep`. */
    cleanup(keep = false) {
      spawnSync('buildah', [...buildah, 'rm', '--all'], { stdio: 'ignore' });
      spawnSync('buildah', [...buildah, 'rmi', '--all', '--force'], { stdio: 'ignore' });
      spawnSync('umount', ['-R', join(work, 'buildah')], { stdio: 'ignore' });
      if (!keep) rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Runs a command to its end (failing loudly) and returns its wall time in ms. */
export function timed(command, args, env = process.env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
