// Push and pull of a 5-layer image (gzip'd tars of semi-compressible data, ~100 MiB in all) to and
// from a local docker-registry, ours (`tsbuild push` / `tsbuild pull`) against `skopeo copy` from
// and to an OCI layout: push to a fresh registry, push again with every blob present, and pull into
// an empty store. Medians, with our peak RSS; then our peak RSS while pushing a 1 GiB layer.
// Run after `npm run build`: node bench/registry.mjs
// (BENCH_RUNS=3 repetitions, BENCH_LAYER_MIB=26 per layer before gzip, BENCH_BIG_LAYER_MIB=1024.)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { ContentStore, MediaTypes, sha256Digest } from '@tsbuild/oci';

import { cli, line, repo, timed, timedWithRss } from './lib/peers.mjs';
import { startRegistry } from './lib/registry.mjs';

const LAYERS = 5;
const LAYER_MIB = Number(process.env.BENCH_LAYER_MIB ?? 26);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG_MIB = Number(process.env.BENCH_BIG_LAYER_MIB ?? 1024);

const dir = await mkdtemp(join(tmpdir(), 'tsbuild-bench-registry-'));
const registry = await startRegistry(join(dir, 'registry'));
try {
  const store = new ContentStore(join(dir, 'source'));
  const image = await makeImage(store, join(dir, 'scratch'));
  const ociDir = join(dir, 'layout');
  await writeOciDir(store, image, ociDir);
  // Our store gets the image (by name) the way users get one: pulled from the registry.
  const seed = `${registry.host}/seed/app:v1`;
  skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:v1`, `docker://${seed}`]);
  const root = join(dir, 'root');
  timed(cli, ['pull', '-q', seed], tsbuildEnv(root));

  const ourPush = (host) => timedWithRss(cli, ['push', '-q', seed, `${host}/ours/app:v1`], tsbuildEnv(root));
  const skopeoPush = (host) => timedWithRss('skopeo', ['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', `oci:${ociDir}:v1`, `docker://${host}/skopeo/app:v1`]);
  const gz = image.manifest.layers.reduce((sum, l) => sum + l.size, 0) / 1024 / 1024;
  console.log(`image: ${LAYERS} layers, ${(LAYERS * LAYER_MIB).toFixed(0)} MiB, ${gz.toFixed(0)} MiB gzip'd (median of ${RUNS}; peer: skopeo copy):`);

  const fresh = [];
  for (let run = 0; run < RUNS; run++) {
    fresh.push({ ours: await inFreshRegistry(join(dir, `fresh-ours-${run}`), ourPush), theirs: await inFreshRegistry(join(dir, `fresh-skopeo-${run}`), skopeoPush) });
  }
  line('  push, fresh registry', median(fresh.map((r) => r.ours)), median(fresh.map((r) => r.theirs)));

  ourPush(registry.host);
  skopeoPush(registry.host);
  const again = Array.from({ length: RUNS }, () => ({ ours: ourPush(registry.host), theirs: skopeoPush(registry.host) }));
  line('  push again, blobs present', median(again.map((r) => r.ours)), median(again.map((r) => r.theirs)));

  const pulls = [];
  for (let run = 0; run < RUNS; run++) {
    const ourRoot = join(dir, `pulled-${run}`);
    const theirDir = join(dir, `skopeo-pulled-${run}`);
    const ours = timedWithRss(cli, ['pull', '-q', seed], tsbuildEnv(ourRoot));
    const theirs = timedWithRss('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${seed}`, `oci:${theirDir}:v1`]);
    pulls.push({ ours, theirs });
    await rm(ourRoot, { recursive: true, force: true });
    await rm(theirDir, { recursive: true, force: true });
  }
  line('  pull, empty store', median(pulls.map((r) => r.ours)), median(pulls.map((r) => r.theirs)));

  const rss = await bigLayerPushRss(join(dir, 'big'), registry.host);
  console.log(`peak RSS pushing a ${BIG_MIB} MiB layer: ${(rss / 1024).toFixed(0)} MiB (must stay flat, well under 200 MiB)`);
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}

function tsbuildEnv(root) {
  return { ...process.env, TSBUILD_ROOT: root, CI: 'true' };
}

/** `push(host)` against a registry of its own, started for it and removed after. */
async function inFreshRegistry(base, push) {
  const fresh = await startRegistry(base);
  try {
    return push(fresh.host);
  } finally {
    await fresh.stop();
    await rm(base, { recursive: true, force: true });
  }
}

function median(results) {
  return [...results].sort((a, b) => a.ms - b.ms)[Math.floor(results.length / 2)];
}

function skopeo(args) {
  execFileSync('skopeo', ['--insecure-policy', ...args], { stdio: 'ignore' });
}

async function storeJson(store, value, mediaType) {
  const bytes = Buffer.from(JSON.stringify(value));
  const info = await store.write(bytes);
  return { mediaType, digest: info.digest, size: info.size };
}

/** LAYERS gzip'd tars, each of one file of base64'd random bytes (gzip takes it to about 3/4). */
async function makeImage(store, scratch) {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const files = join(scratch, `layer-${i}`);
    await mkdir(join(files, 'data'), { recursive: true });
    await writeFile(join(files, 'data', `blob-${i}.txt`), randomBytes(Math.floor((LAYER_MIB * 1024 * 1024 * 3) / 4)).toString('base64'));
    const tar = join(scratch, `layer-${i}.tar`);
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-C', files, '-cf', tar, 'data']);
    const raw = await readFile(tar);
    const info = await store.write(gzipSync(raw, { level: 6 }));
    layers.push({ mediaType: MediaTypes.ociLayerGzip, digest: info.digest, size: info.size });
    diffIds.push(sha256Digest(raw));
  }
  await rm(scratch, { recursive: true, force: true });
  const config = await storeJson(store, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }, MediaTypes.ociConfig);
  const manifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers };
  const descriptor = await storeJson(store, manifest, MediaTypes.ociManifest);
  return { descriptor, manifest };
}

async function writeOciDir(store, image, out) {
  await mkdir(join(out, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const d of [image.descriptor, image.manifest.config, ...image.manifest.layers]) {
    await writeFile(join(out, 'blobs', 'sha256', d.digest.slice(7)), await store.readBytes(d.digest));
  }
  const ref = { ...image.descriptor, annotations: { 'org.opencontainers.image.ref.name': 'v1' } };
  await writeFile(join(out, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [ref] }));
}

/** Pushes a BIG_MIB layer from a child process and returns its peak RSS in KiB. */
async function bigLayerPushRss(root, host) {
  const script = `
    import { ContentStore, MediaTypes } from '@tsbuild/oci';
    import { RegistryClient } from '@tsbuild/registry';
    import { randomBytes } from 'node:crypto';
    const store = new ContentStore(${JSON.stringify(root)});
    const piece = randomBytes(1024 * 1024);
    async function* source() { for (let i = 0; i < ${BIG_MIB}; i++) yield piece; }
    const layer = await store.write(source());
    const config = await store.write(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, ...config }, layers: [{ mediaType: MediaTypes.ociLayer, ...layer }] }));
    const m = await store.write(manifest);
    await new RegistryClient({ root: ${JSON.stringify(root)} }).push({ mediaType: MediaTypes.ociManifest, ...m }, '${host}/big/app:v1');
    process.stdout.write(String(process.resourceUsage().maxRSS));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  return Number(out);
}
