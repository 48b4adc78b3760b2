// Push and pull of a multi-layer image to and from a local docker-registry, ours against
// `skopeo copy` (ratio: lower is better), and our peak RSS while pushing a 1 GiB layer.
// Run after `npm run build`: node bench/registry.mjs   (set BENCH_BIG_LAYER_MIB to change 1024)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';

import { ContentStore, MediaTypes, sha256Digest } from '@tsbuild/oci';
import { RegistryClient } from '@tsbuild/registry';

const LAYERS = 8;
const LAYER_BYTES = 4 * 1024 * 1024;
const BIG_MIB = Number(process.env.BENCH_BIG_LAYER_MIB ?? 1024);

const dir = await mkdtemp(join(tmpdir(), 'tsbuild-bench-registry-'));
const registry = await startRegistry(dir);
try {
  const sourceRoot = join(dir, 'source');
  const store = new ContentStore(sourceRoot);
  const image = await makeImage(store);
  const ociDir = join(dir, 'layout');
  await writeOciDir(store, image, ociDir);

  const ourPush = await timed(() => new RegistryClient({ root: sourceRoot }).push(image.descriptor, `${registry.host}/ours/app:v1`));
  const skopeoPush = await timed(async () => skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:v1`, `docker://${registry.host}/skopeo/app:v1`]));
  const ourPull = await timed(() => new RegistryClient({ root: join(dir, 'pulled') }).pull(`${registry.host}/skopeo/app:v1`));
  const skopeoPull = await timed(async () => skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/ours/app:v1`, `oci:${join(dir, 'skopeo-pulled')}:v1`]));
  const mib = (LAYERS * LAYER_BYTES) / 1024 / 1024;
  console.log(`image: ${LAYERS} layers, ${mib} MiB`);
  console.log(`push: tsbuild ${ourPush.toFixed(0)} ms, skopeo ${skopeoPush.toFixed(0)} ms, ratio ${(ourPush / skopeoPush).toFixed(2)}`);
  console.log(`pull: tsbuild ${ourPull.toFixed(0)} ms, skopeo ${skopeoPull.toFixed(0)} ms, ratio ${(ourPull / skopeoPull).toFixed(2)}`);

  const rss = await bigLayerPushRss(join(dir, 'big'), registry.host);
  console.log(`peak RSS pushing a ${BIG_MIB} MiB layer: ${(rss / 1024).toFixed(0)} MiB (must stay flat, well under 200 MiB)`);
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function skopeo(args) {
  execFileSync('skopeo', ['--insecure-policy', ...args], { stdio: 'ignore' });
}

async function storeJson(store, value, mediaType) {
  const bytes = Buffer.from(JSON.stringify(value));
  const info = await store.write(bytes);
  return { mediaType, digest: info.digest, size: info.size };
}

async function makeImage(store) {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const raw = randomBytes(LAYER_BYTES);
    const gz = gzipSync(raw, { level: 1 });
    const info = await store.write(gz);
    layers.push({ mediaType: MediaTypes.ociLayerGzip, digest: info.digest, size: info.size });
    diffIds.push(sha256Digest(raw));
  }
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
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
  return Number(out);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRegistry(base) {
  const port = await freePort();
  const config = join(base, 'registry.yml');
  await writeFile(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(base, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      break;
    } catch {
      await sleep(50);
    }
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}
