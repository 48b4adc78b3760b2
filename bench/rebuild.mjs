// Warm rebuilds with the layer cache, ours against `buildah bud --layers --runtime runc`: a no-op
// rebuild of a 20-step Dockerfile with a 10,000-file context (target: under 0.5 s and at most a
// quarter of buildah's), and a rebuild after one source file changed.
// Run as root after `npm run build`: node bench/rebuild.mjs   (BENCH_RUNS=3)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cli, peers, timed as run } from './lib/peers.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-rebuild-'));
const peer = peers(work);
const { env, buildah } = peer;
const context = join(work, 'context');

try {
  peer.setupBase();
  makeContext();
  // Each timed run starts with nothing left to write back: the 10k-file context and the previous
  // run's layers would otherwise still be going to disk, and the next run's file creates would
  // wait on the journal behind them (it doubled our time and made both sides noisy).
  const ours = () => (settle(), run(cli, ['build', '-q', '-t', 'rebuild-bench', context], env));
  const theirs = () => (settle(), run('buildah', [...buildah, 'bud', '--layers', '--runtime', 'runc', '--format', 'docker', '--pull=false', '-q', '-t', 'rebuild-bench', context]));
  ours();
  theirs();
  line('no-op rebuild, 20 steps, 10k files', median(RUNS, ours), median(RUNS, theirs));
  let edits = 0;
  const edit = () => writeFileSync(join(context, 'src', 'd7', 'f3500.txt'), `changed ${++edits}\n`);
  quiesce();
  const oursChanged = median(RUNS, () => (edit(), ours()));
  quiesce();
  const theirsChanged = median(RUNS, () => (edit(), theirs()));
  line('rebuild after one file changed', oursChanged, theirsChanged);
} finally {
  peer.cleanup(Boolean(process.env.BENCH_KEEP));
  if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
}

/** 10,000 files in 20 directories, and 20 steps: RUNs, ENVs, a WORKDIR and the COPY of the sources. */
function makeContext() {
  for (let i = 0; i < 10_000; i++) {
    const dir = join(context, 'src', `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), `source file ${i}\n`);
  }
  const steps = ['FROM busybox', 'WORKDIR /app'];
  for (let i = 1; i <= 8; i++) steps.push(`RUN echo "tool ${i}" > /app/tool-${i}`);
  steps.push('ENV MODE=release', 'COPY src/ /app/src/');
  for (let i = 1; i <= 7; i++) steps.push(`RUN ls /app/src/d${i} | wc -l > /app/count-${i}`);
  steps.push('LABEL bench=rebuild', 'CMD ["ls", "/app"]');
  writeFileSync(join(context, 'Dockerfile'), `${steps.join('\n')}\n`);
}

function settle() {
  execFileSync('sync');
}

/**
 * Lets the other tool's deletions age out before a series. This ext4 has no journal, so it
 * will not reuse an inode within ~30 s of its deletion: after buildah removes a container of
 * 10k files, every file either tool creates scans past those inodes (`recently_deleted` in the
 * profile), doubling the time of the next series. Each tool still pays for its own deletions.
 */
function quiesce() {
  settle();
  execFileSync('sleep', ['35']);
}

function median(n, fn) {
  const times = Array.from({ length: n }, fn).sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

function line(label, ours, theirs) {
  console.log(`${label.padEnd(36)} tsbuild ${(ours / 1000).toFixed(2)} s  buildah ${(theirs / 1000).toFixed(2)} s  ratio ${(ours / theirs).toFixed(2)}`);
}
