// What the build benchmarks share: a tsbuild root and a buildah storage in one work dir, each with
// the same busybox base image (built by tsbuild, handed to buildah as an OCI archive).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Run as users run it, by its shebang, which also sets the V8 heap flags the CLI is tuned with.
export const cli = join(repo, 'packages/cli/bin/tsbuild.js');
/** Those flags (`#!/usr/bin/env -S node FLAGS`), for our code run in a node of a bench's own. */
export const cliNodeFlags = readFileSync(cli, 'utf8').split('\n')[0].split(' ').filter((word) => word.startsWith('--'));

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
      timed(cli, ['build', '-q', '--source-date-epoch', '0', '-t', 'busybox:latest', '-o', `type=oci,dest=${archive}`, join(repo, 'examples/busybox')], env);
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

/** Wall time and peak RSS (GNU time's %M, KiB) of one command, as the `{ ms, rssKiB }` that `median` and `line` take. */
export function timedWithRss(command, args, env = process.env) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const rssKiB = Number(result.stderr.trim().split('\n').pop());
  return { ms, rssKiB };
}

/** The median by wall time of `n` results of `fn` (each `{ ms, ... }`); `fn` gets the run's index. */
export function median(n, fn) {
  const results = Array.from({ length: n }, (_, i) => fn(i)).sort((a, b) => a.ms - b.ms);
  return results[Math.floor(n / 2)];
}

/** One result line, as bench/build.mjs prints them, with an optional note (e.g. the target) after it. */
export function line(label, ours, theirs, note = '') {
  const rss = ours.rssKiB ? `, our peak RSS ${(ours.rssKiB / 1024).toFixed(0)} MiB` : '';
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
  console.log(`${label.padEnd(28)} tsbuild ${fmt(ours.ms)}  peer ${fmt(theirs.ms)}  ratio ${(ours.ms / theirs.ms).toFixed(2)}${rss}${note ? `  ${note}` : ''}`);
}
