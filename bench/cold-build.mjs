// Cold builds (no layer cache, busybox base already local for both) of three Dockerfiles — 20,000
// small files made by one RUN, one big file made by RUN, and a 3-stage build joined by COPY --from —
// ours (`tsbuild build --no-cache`) against `buildah bud --runtime runc --layers=false`; then the same
// three built and pushed to a local docker-registry (fresh repository each run), ours with `--push`
// against `buildah bud && buildah push`, then once more with zstd layers on both sides. Medians, with our peak RSS and the targets.
// Run as root after `npm run build`: node bench/cold-build.mjs
// (BENCH_RUNS=3 repetitions, BENCH_BIG_MIB=512 for the big file.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cli, line, median, peers, timed, timedWithRss } from './lib/peers.mjs';
import { startRegistry } from './lib/registry.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 512);
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-cold-build-'));
const peer = peers(work);
const { env, buildah } = peer;
const bud = [...buildah, 'bud', '--runtime', 'runc', '--format', 'docker', '--pull=false', '--layers=false', '-q'];
let registry;
let quiesced = false;

try {
  peer.setupBase();
  const workloads = writeDockerfiles();
  registry = await startRegistry(join(work, 'registry'));
  const target = (who, name, run) => `${registry.host}/bench/${who}-${name}-${Date.now().toString(36)}-${run}:tag`;
  const tsbuild = (args) => timedWithRss(cli, ['build', '--no-cache', '-q', ...args], env);
  const budAndPush = (name, run, pushFlags) => {
    const local = `bench-push-${name}`;
    const ms = timed('buildah', [...bud, '-t', local, dir(name)]) + timed('buildah', [...buildah, 'push', '-q', '--tls-verify=false', ...pushFlags, local, `docker://${target('buildah', name, run)}`]);
    return { ms };
  };
  const dir = (name) => workloads.find((w) => w.name === name).dir;
  const sections = [
    {
      title: `cold builds (median of ${RUNS}; base image local for both, no layer cache; peer: buildah bud):`,
      note: 'target ≤ 0.6',
      ours: (name) => tsbuild([dir(name)]),
      theirs: (name) => timedWithRss('buildah', [...bud, '-t', `bench-${name}`, dir(name)]),
    },
    {
      title: `cold build and push (median of ${RUNS}; fresh repository each run; peer: buildah bud && buildah push):`,
      note: 'target ≤ 0.7',
      ours: (name, run) => tsbuild(['-t', target('ours', name, run), '--push', dir(name)]),
      theirs: (name, run) => budAndPush(name, run, []),
    },
    {
      // zstd where it wins: the layers built here go out as zstd (-3, every core) instead of gzip.
      title: `cold build and push with zstd layers (median of ${RUNS}; peer: buildah bud && buildah push --compression-format zstd):`,
      note: 'no target (zstd is offered where it wins)',
      ours: (name, run) => tsbuild(['-o', 'type=image,push=true,compression=zstd', '-t', target('ours-zstd', name, run), dir(name)]),
      theirs: (name, run) => budAndPush(name, run, ['--compression-format', 'zstd']),
    },
  ];
  // All of ours, then all of buildah's, each run started with nothing left to write back: see
  // quiesce() for why the other tool's deletions must age out first.
  const series = (who) => sections.map((section) => workloads.map(({ name }) => (quiesceOnce(), median(RUNS, (run) => (settle(), section[who](name, run))))));
  const ours = series('ours');
  quiesce();
  const theirs = series('theirs');
  sections.forEach((section, i) => {
    console.log(section.title);
    workloads.forEach(({ label }, j) => line(`  ${label}`, ours[i][j], theirs[i][j], section.note));
  });
} finally {
  await registry?.stop();
  peer.cleanup();
}

function settle() {
  execFileSync('sync');
}

function quiesceOnce() {
  if (!quiesced) quiesce();
  quiesced = true;
}

/**
 * Lets earlier deletions age out before a series. This ext4 has no journal, so it will not reuse
 * an inode within ~30 s of its deletion: after buildah removes a container of 20k files, every
 * file either tool creates scans past those inodes (`recently_deleted` in a perf profile). Each
 * tool still pays for its own deletions within its runs.
 */
function quiesce() {
  settle();
  execFileSync('sleep', ['35']);
}

/** The three build contexts, each a Dockerfile in its own directory under the work dir. */
function writeDockerfiles() {
  const bigBytes = Math.floor((BIG_MIB * 1024 * 1024 * 3) / 4 / 3) * 3; // base64 makes 4 bytes of 3
  const files = {
    small: ['FROM busybox', 'RUN for d in $(seq 40); do mkdir /d$d; cd /d$d; for f in $(seq 500); do echo $d-$f > f$f; done; done'],
    big: ['FROM busybox', `RUN head -c ${bigBytes} /dev/urandom | base64 > /big`],
    stages: [
      'FROM busybox AS one',
      'RUN mkdir /out && cd /out && for f in $(seq 2000); do echo one-$f > a$f; done && head -c 25165824 /dev/urandom | base64 > blob',
      'FROM busybox AS two',
      'RUN mkdir /out && cd /out && for f in $(seq 2000); do echo two-$f > b$f; done && head -c 25165824 /dev/urandom | base64 > blob',
      'FROM busybox',
      'COPY --from=one /out /one',
      'COPY --from=two /out /two',
      'RUN cat /one/a1 /two/b1 > /both && ls /one /two | wc -l > /count',
    ],
  };
  const labels = { small: '20,000 small files by RUN', big: `one ${BIG_MIB} MiB file by RUN`, stages: '3 stages, COPY --from x2' };
  return Object.entries(files).map(([name, steps]) => {
    const dir = join(work, 'contexts', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), `${steps.join('\n')}\n`);
    return { name, label: labels[name], dir };
  });
}
