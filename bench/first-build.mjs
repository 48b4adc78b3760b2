// First build on a cold machine: a base image of 5 layers (~500 MiB before gzip: busybox and 4 RUNs
// of semi-compressible data) waits in a local docker-registry, and `FROM base` + one RUN is built
// with an empty store — ours (`tsbuild build --no-cache`, fresh TSBUILD_ROOT) against
// `buildah bud --pull` (fresh --root/--runroot), each run. Medians, with our peak RSS.
// Run as root after `npm run build`: node bench/first-build.mjs
// (BENCH_RUNS=3 repetitions, BENCH_BASE_MIB=500 for the base image's RUN layers together.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cli, line, median, peers, timed, timedWithRss } from './lib/peers.mjs';
import { startRegistry } from './lib/registry.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASE_MIB = Number(process.env.BENCH_BASE_MIB ?? 500);
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-first-build-'));
const setup = peers(join(work, 'setup'));
let registry;

try {
  setup.setupBase();
  registry = await startRegistry(join(work, 'registry'));
  const base = `${registry.host}/bench/base:v1`;
  timed(cli, ['build', '-q', '-t', base, '--push', context('base', baseDockerfile())], setup.env);
  const app = context('app', [`FROM ${base}`, 'RUN echo hi > /x']);

  console.log(`first build, empty store, base of 5 layers (${BASE_MIB} MiB + busybox) in a local registry (median of ${RUNS}; peer: buildah bud --pull):`);
  const ours = median(RUNS, (run) => onColdMachine(`ours-${run}`, (fresh) => timedWithRss(cli, ['build', '--no-cache', '-q', app], fresh.env)));
  const theirs = median(RUNS, (run) => onColdMachine(`buildah-${run}`, (fresh) => timedWithRss('buildah', [...fresh.buildah, 'bud', '--pull', '--runtime', 'runc', '--format', 'docker', '--tls-verify=false', '--layers=false', '-q', '-t', 'first-build', app])));
  line('  FROM registry base + RUN', ours, theirs, 'target ≤ 0.8');
} finally {
  await registry?.stop();
  setup.cleanup();
  rmSync(work, { recursive: true, force: true });
}

/** Runs `fn` with an empty tsbuild root and an empty buildah store, both removed (and unmounted) after. */
function onColdMachine(name, fn) {
  const fresh = peers(join(work, name));
  try {
    return fn(fresh);
  } finally {
    fresh.cleanup();
  }
}

/** `FROM busybox` and 4 RUNs of BASE_MIB / 4 each: base64 of random bytes, which gzip takes to about 3/4. */
function baseDockerfile() {
  const bytes = Math.floor((BASE_MIB * 1024 * 1024) / 4 / 4) * 3;
  const steps = ['FROM busybox'];
  for (let i = 1; i <= 4; i++) steps.push(`RUN mkdir -p /data && head -c ${bytes} /dev/urandom | base64 > /data/part-${i}`);
  return steps;
}

function context(name, steps) {
  const dir = join(work, 'contexts', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), `${steps.join('\n')}\n`);
  return dir;
}
