// Warm rebuilds with the layer cache, ours against `buildah bud --layers --runtime runc`: a no-op
// rebuild of a 20-step Dockerfile with a 10,000-file context (target: under 0.5 s and at most a
// quarter of buildah's), and a rebuild after one source file changed.
// Run as root after `npm run build`: node bench/rebuild.mjs   (BENCH_RUNS=3)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const cli = join(repo, 'packages/cli/bin/tsbuild.js');
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-rebuild-'));
const env = { ...process.env, TSBUILD_ROOT: join(work, 'root'), CI: 'true' };
const buildah = ['--root', join(work, 'buildah'), '--runroot', join(work, 'buildah-run'), '--storage-driver', 'overlay'];
const context = join(work, 'context');

try {
  setupBase();
  makeContext();
  const ours = () => run(process.execPath, [cli, 'build', '-q', '-t', 'rebuild-bench', context], env);
  const theirs = () => run('buildah', [...buildah, 'bud', '--layers', '--runtime', 'runc', '--format', 'docker', '--pull=false', '-q', '-t', 'rebuild-bench', context]);
  ours();
  theirs();
  line('no-op rebuild, 20 steps, 10k files', median(RUNS, ours), median(RUNS, theirs));
  let edits = 0;
  const edit = () => writeFileSync(join(context, 'src', 'd7', 'f3500.txt'), `changed ${++edits}\n`);
  const oursChanged = median(RUNS, () => (edit(), ours()));
  const theirsChanged = median(RUNS, () => (edit(), theirs()));
  line('rebuild after one file changed', oursChanged, theirsChanged);
} finally {
  spawnSync('buildah', [...buildah, 'rm', '--all'], { stdio: 'ignore' });
  spawnSync('buildah', [...buildah, 'rmi', '--all', '--force'], { stdio: 'ignore' });
  spawnSync('umount', ['-R', join(work, 'buildah')], { stdio: 'ignore' });
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

function setupBase() {
  execFileSync(join(repo, 'scripts/make-busybox-rootfs.sh'), { stdio: 'ignore' });
  const archive = join(work, 'busybox.tar');
  run(process.execPath, [cli, 'build', '-q', '--source-date-epoch', '0', '-t', 'busybox:latest', '-o', `type=oci,dest=${archive}`, join(repo, 'examples/busybox')], env);
  run('buildah', [...buildah, 'pull', '-q', `oci-archive:${archive}`]);
  const id = execFileSync('buildah', [...buildah, 'images', '-q'], { encoding: 'utf8' }).trim().split('\n')[0];
  run('buildah', [...buildah, 'tag', id, 'docker.io/library/busybox:latest']);
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

function run(command, args, runEnv = process.env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: runEnv, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(n, fn) {
  const times = Array.from({ length: n }, fn).sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

function line(label, ours, theirs) {
  console.log(`${label.padEnd(36)} tsbuild ${(ours / 1000).toFixed(2)} s  buildah ${(theirs / 1000).toFixed(2)} s  ratio ${(ours / theirs).toFixed(2)}`);
}
