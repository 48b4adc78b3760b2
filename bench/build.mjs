// Cold builds of the examples, ours against `buildah bud --runtime runc` (same base image, both
// with the base already local, no layer cache), and layer creation from an upperdir — 20,000 small
// files, one big file of base64 noise and as much of /usr's binaries — against `tar -c | gzip` at
// the same level, with our peak RSS. Ours writes the layer tar and its gzip blob in one pass, as a
// build does for a layer it will push or export.
// Run as root after `npm run build`: node bench/build.mjs
// (BENCH_RUNS=3 repetitions, BENCH_BIG_MIB=1024 for the big file.)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cli, cliNodeFlags, peers, repo, timed } from './lib/peers.mjs';

const LEVEL = 6;

if (process.argv[2] === '--layer-child') {
  await layerChild(process.argv[3], process.argv[4]);
  process.exit(0);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-build-'));
const peer = peers(work);
const { env, buildah } = peer;

try {
  peer.setupBase();
  console.log(`cold builds (median of ${RUNS}; base image local for both, no layer cache):`);
  for (const example of ['hello', 'multistage', 'users', 'add-archive']) {
    const dir = join(repo, 'examples', example);
    const ours = median(RUNS, () => run(cli, ['build', '--no-cache', '-q', dir], env));
    const theirs = median(RUNS, () => run('buildah', [...buildah, 'bud', '--runtime', 'runc', '--format', 'docker', '--pull=false', '--layers=false', '-q', '-t', `bench-${example}`, dir]));
    line(`  examples/${example}`, ours, theirs);
  }

  console.log(`layer creation, gzip level ${LEVEL} (upperdir -> stored tar -> gzip blob; peer: tar -c | gzip -${LEVEL}):`);
  const small = join(work, 'small');
  makeSmallFiles(small, 20_000);
  layerLine('  20,000 small files', small);
  const big = join(work, 'big');
  makeBigFile(big, BIG_MIB);
  layerLine(`  one ${BIG_MIB} MiB file`, big);
  const binaries = join(work, 'binaries');
  const { mib, files } = copyBinaries(binaries, BIG_MIB);
  layerLine(`  ${mib} MiB of binaries`, binaries, `(${files} files from /usr)`);
} finally {
  peer.cleanup();
}

/** Each run starts with the files just made written back (`sync`), for both sides alike. */
function layerLine(label, dir, note = '') {
  const ours = median(RUNS, () => {
    spawnSync('sync');
    const root = join(work, `layer-root-${Math.random().toString(36).slice(2)}`);
    const result = timedWithRss(process.execPath, [...cliNodeFlags, fileURLToPath(import.meta.url), '--layer-child', dir, root]);
    rmSync(root, { recursive: true, force: true });
    return result;
  });
  const theirs = median(RUNS, () => (spawnSync('sync'), timedWithRss('sh', ['-c', `tar -C '${dir}' -cf - . | gzip -${LEVEL} > /dev/null`])));
  line(label, ours, theirs, note);
}

/** Our side of a layer benchmark, in its own process so its peak RSS is its own. */
async function layerChild(dir, root) {
  const { ContentStore } = await import('@tsbuild/oci');
  const { writeLayer } = await import('@tsbuild/snapshot');
  const store = new ContentStore(root);
  await writeLayer(dir, store, { compress: { level: LEVEL } });
}

function makeSmallFiles(dir, count) {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${Math.floor(i / 500)}`);
    if (i % 500 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n${randomBytes(200 + (i % 700)).toString('base64')}\n`);
  }
}

/**
 * Base64 of random bytes, written in 4 MiB steps: about 3:4 by Huffman coding alone, with no
 * repeats to find (see copyBinaries for data that has them).
 */
function makeBigFile(dir, mib) {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'big.bin'), 'w');
  const chunk = Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64'));
  for (let written = 0; written < mib * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
  closeSync(fd);
}

/** Real binaries and libraries from /usr/lib and /usr/bin, copied until `mib` MiB. */
function copyBinaries(dir, mib) {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  let files = 0;
  for (const from of ['/usr/lib/x86_64-linux-gnu', '/usr/lib', '/usr/bin']) {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (!entry.isFile() || bytes >= mib * 1024 * 1024) continue;
      const size = statSync(join(from, entry.name)).size;
      copyFileSync(join(from, entry.name), join(dir, `${files}-${entry.name}`));
      bytes += size;
      files++;
    }
  }
  return { mib: Math.round(bytes / 1024 / 1024), files };
}

/** A command's wall time, as the `{ ms }` that `median` and `line` take. */
function run(command, args, runEnv = process.env) {
  return { ms: timed(command, args, runEnv) };
}

/** Wall time and peak RSS (GNU time's %M, KiB) of one command. */
function timedWithRss(command, args) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', env: process.env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const rssKiB = Number(result.stderr.trim().split('\n').pop());
  return { ms, rssKiB };
}

function median(n, fn) {
  const results = Array.from({ length: n }, fn).sort((a, b) => a.ms - b.ms);
  return results[Math.floor(n / 2)];
}

function line(label, ours, theirs, note = '') {
  const rss = ours.rssKiB ? `, our peak RSS ${(ours.rssKiB / 1024).toFixed(0)} MiB` : '';
  console.log(`${label.padEnd(28)} tsbuild ${fmt(ours.ms)}  peer ${fmt(theirs.ms)}  ratio ${(ours.ms / theirs.ms).toFixed(2)}${rss}${note ? ` ${note}` : ''}`);
}

function fmt(ms) {
  return `${(ms / 1000).toFixed(2)} s`.padStart(8);
}
