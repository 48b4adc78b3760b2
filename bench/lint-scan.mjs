// Image-scan throughput of `tsbuild lint --image` over a 1 GiB image (MB/s of uncompressed layer
// data) and its peak RSS, which must stay flat. Half the bytes are text files small enough to be
// read for secrets (256 KiB each), half are large files that are counted but not read.
// Run after `npm run build`: node bench/lint-scan.mjs   (BENCH_SCAN_MIB=1024)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

import tar from 'tar-stream';
import { ContentStore, ImageStore, MediaTypes, writeImage, DigestingStream } from '@tsbuild/oci';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIB = 1024 * 1024;
const total = Number(process.env.BENCH_SCAN_MIB ?? 1024) * MIB;
const root = mkdtempSync(join(tmpdir(), 'tsbuild-bench-scan-'));

try {
  const store = new ContentStore(root);
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < 4; i++) {
    const { blob, diffId } = await writeLayer(store, i, total / 4);
    layers.push(blob);
    diffIds.push(diffId);
  }
  const config = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds }, history: layers.map(() => ({ created_by: 'bench layer' })) };
  const image = await writeImage(store, { config, layers });
  await new ImageStore(root).tag('scan-bench:latest', image.descriptor);

  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', join(repo, 'packages/cli/bin/tsbuild.js'), 'lint', '--image', 'scan-bench:latest', '--format', 'json', '--fail-on', 'none'], {
    env: { ...process.env, TSBUILD_ROOT: root },
    encoding: 'utf8',
    maxBuffer: 64 * MIB,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`lint failed: ${result.stderr}`);
  const rssMiB = Number(result.stderr.trim().split('\n').pop()) / 1024;
  console.log(`image scan of ${(total / MIB).toFixed(0)} MiB in 4 layers: ${seconds.toFixed(2)} s, ${(total / MIB / seconds).toFixed(0)} MB/s, peak RSS ${rssMiB.toFixed(0)} MiB (must stay flat)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** A gzip (level 1) layer of `bytes`: half 256 KiB text files, half 32 MiB files. */
async function writeLayer(store, index, bytes) {
  const pack = tar.pack();
  const tarDigest = new DigestingStream();
  const gzip = createGzip({ level: 1 });
  const written = store.write(pack.pipe(tarDigest).pipe(gzip));
  const text = Buffer.from(randomBytes(192 * 1024).toString('base64'));
  const big = Buffer.alloc(32 * MIB, 'x');
  let sent = 0;
  let n = 0;
  while (sent < bytes / 2) {
    await entry(pack, `layer${index}/text/${n++}.txt`, text);
    sent += text.length;
  }
  while (sent < bytes) {
    await entry(pack, `layer${index}/big/${n++}.bin`, big);
    sent += big.length;
  }
  pack.finalize();
  const info = await written;
  return { blob: { mediaType: MediaTypes.ociLayerGzip, digest: info.digest, size: info.size }, diffId: tarDigest.digest() };
}

function entry(pack, name, body) {
  return new Promise((resolve, reject) => pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body, (error) => (error ? reject(error) : resolve())));
}
