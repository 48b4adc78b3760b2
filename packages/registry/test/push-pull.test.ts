import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ContentStore, ImageStore, type Descriptor } from '@tsbuild/oci';
import { RegistryClient, type RegistryProgress } from '@tsbuild/registry';

import { storeTestImage, type TestImage } from '../../../test/support/oci-image.js';
import { startRegistry, type TestRegistry } from '../../../test/support/registry.js';
import { startRegistryProxy, type RegistryProxy } from '../../../test/support/registry-proxy.js';

let registry: TestRegistry;
let proxy: RegistryProxy;
const roots: string[] = [];

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tsbuild-registry-test-'));
  roots.push(root);
  return root;
}

const fastRetry = { attempts: 4, baseDelayMs: 10, maxTimeMs: 10_000 };

function skopeo(args: string[]): string {
  return execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8' });
}

async function localImage(layers = [{ 'hello.txt': 'hello\n' }, { 'etc/app.conf': 'x=1\n' }]): Promise<{ root: string; image: TestImage }> {
  const root = await newRoot();
  const image = await storeTestImage(new ContentStore(root), { layers });
  return { root, image };
}

/** An OCI image layout directory holding `image` from `store`, tagged `tag`. */
async function writeOciDir(store: ContentStore, image: TestImage, dir: string, tag: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const d of [image.descriptor, image.manifest.config, ...image.manifest.layers]) {
    await writeFile(join(dir, 'blobs', 'sha256', d.digest.slice(7)), await store.readBytes(d.digest));
  }
  const manifest: Descriptor = { ...image.descriptor, annotations: { 'org.opencontainers.image.ref.name': tag } };
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifest] }));
}

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe('push', () => {
  it('pushes an image that skopeo reads back byte for byte', async () => {
    const { root, image } = await localImage();
    const events: RegistryProgress[] = [];
    const client = new RegistryClient({ root, retry: fastRetry, onProgress: (e) => events.push(e) });
    const pushed = await client.push(image.descriptor, `${registry.host}/team/app:v1`);
    expect(pushed.descriptor.digest).toBe(image.descriptor.digest);

    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/team/app:v1`])) as { Digest: string; Layers: string[] };
    expect(inspected.Digest).toBe(image.descriptor.digest);
    expect(inspected.Layers).toEqual(image.manifest.layers.map((l) => l.digest));

    const out = join(await newRoot(), 'copy');
    skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/team/app:v1`, `oci:${out}:v1`]);
    const store = new ContentStore(root);
    for (const d of [image.descriptor, image.manifest.config, ...image.manifest.layers]) {
      expect((await readFile(join(out, 'blobs', 'sha256', d.digest.slice(7)))).equals(await store.readBytes(d.digest))).toBe(true);
    }
    const uploaded = events.filter((e) => e.kind === 'blob-done' && e.outcome === 'uploaded').length;
    expect(uploaded).toBe(3);
    const bytes = events.filter((e) => e.kind === 'blob-bytes' && e.digest === image.manifest.layers[0]?.digest).at(-1);
    expect(bytes).toMatchObject({ done: image.manifest.layers[0]?.size });
  });

  it('uploads nothing the second time and mounts layers into another repository', async () => {
    const { root, image } = await localImage([{ 'a.txt': 'first push\n' }, { 'b.txt': 'shared layer\n' }]);
    const client = new RegistryClient({ root, retry: fastRetry });
    await client.push(image.descriptor, `${proxy.host}/one/app:v1`);
    expect(proxy.uploads()).toHaveLength(3);

    proxy.seen.length = 0;
    await client.push(image.descriptor, `${proxy.host}/one/app:v1`);
    expect(proxy.uploads()).toHaveLength(0);
    expect(proxy.seen.filter((r) => r.method === 'POST')).toHaveLength(0);

    proxy.seen.length = 0;
    await client.push(image.descriptor, `${proxy.host}/two/app:v1`);
    expect(proxy.uploads()).toHaveLength(0);
    const mounts = proxy.seen.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    expect(mounts).toHaveLength(3);
    expect(mounts.every((r) => r.path.includes('from=one%2Fapp'))).toBe(true);
    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/two/app:v1`])) as { Digest: string };
    expect(inspected.Digest).toBe(image.descriptor.digest);
  });

  it('keeps the connection after a HEAD: checking blobs one by one opens no connection per blob', async () => {
    const { root, image } = await localImage([{ 'a.txt': 'one\n' }, { 'b.txt': 'two\n' }, { 'c.txt': 'three\n' }, { 'd.txt': 'four\n' }]);
    const client = new RegistryClient({ root, retry: fastRetry, concurrency: 1 });
    await client.push(image.descriptor, `${proxy.host}/keepalive/app:v1`);
    proxy.seen.length = 0;
    proxy.connections = 0;
    await new RegistryClient({ root, retry: fastRetry, concurrency: 1 }).push(image.descriptor, `${proxy.host}/keepalive/app:v1`);
    expect(proxy.seen.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD', 'HEAD', 'PUT']);
    // Back-to-back requests may find the previous one's socket not yet free: at most two.
    expect(proxy.connections).toBeLessThanOrEqual(2);
  });

  it('puts the manifest again when the registry refuses it for a blob it is still committing, and not for a bad manifest', async () => {
    const { root, image } = await localImage([{ 'race.txt': 'race\n' }]);
    const client = new RegistryClient({ root, retry: fastRetry });
    // Another push committing the same blob: distribution reads its link half-written once.
    let refused = 0;
    proxy.seen.length = 0;
    proxy.decide = (req) => (req.method === 'PUT' && req.url?.includes('/manifests/') && refused++ === 0 ? { status: 400, code: 'DIGEST_INVALID' } : 'pass');
    try {
      await client.push(image.descriptor, `${proxy.host}/race/app:v1`);
      expect(proxy.seen.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))).toHaveLength(2);
      proxy.seen.length = 0;
      proxy.decide = (req) => (req.method === 'PUT' && req.url?.includes('/manifests/') ? { status: 400, code: 'MANIFEST_INVALID' } : 'pass');
      const error = await client.push(image.descriptor, `${proxy.host}/race/app:v2`).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'REGISTRY_ERROR', message: `${proxy.host}/race/app:v2: registry ${proxy.host} answered HTTP 400: MANIFEST_INVALID injected 400` });
      expect(proxy.seen.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))).toHaveLength(1);
    } finally {
      proxy.decide = () => 'pass';
    }
    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/race/app:v1`])) as { Digest: string };
    expect(inspected.Digest).toBe(image.descriptor.digest);
  });

  it('uploads a large blob in PATCH chunks', async () => {
    const big = randomBytes(300_000);
    const { root, image } = await localImage([{ 'big.bin': big.toString('latin1') }]);
    const client = new RegistryClient({ root, retry: fastRetry, monolithicLimit: 1024, chunkSize: 64 * 1024 });
    proxy.seen.length = 0;
    await client.push(image.descriptor, `${proxy.host}/chunked/app:v1`);
    const layer = image.manifest.layers[0] as Descriptor;
    const patches = proxy.seen.filter((r) => r.method === 'PATCH');
    expect(layer.size).toBeGreaterThan(300_000);
    expect(patches.length).toBe(Math.ceil(layer.size / (64 * 1024))); // the config is small: one PUT
    const out = join(await newRoot(), 'copy');
    skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/chunked/app:v1`, `oci:${out}:v1`]);
    expect((await readFile(join(out, 'blobs', 'sha256', layer.digest.slice(7)))).equals(image.layers[0]?.gzip as Buffer)).toBe(true);
  });

  it('uploads a layer as its bytes come, and push then counts it without asking again', async () => {
    const { root, image } = await localImage([{ 'streamed.bin': randomBytes(200_000).toString('latin1') }]);
    const layer = image.layers[0]!;
    const events: RegistryProgress[] = [];
    const client = new RegistryClient({ root, retry: fastRetry, onProgress: (e) => events.push(e) });
    async function* pieces(): AsyncIterable<Buffer> {
      for (let at = 0; at < layer.gzip.length; at += 50_000) yield layer.gzip.subarray(at, at + 50_000);
    }
    proxy.seen.length = 0;
    const streamed = await client.uploadStream(`${proxy.host}/streamed/app:v1`, pieces());
    expect(streamed).toEqual({ digest: layer.descriptor.digest, size: layer.descriptor.size });
    expect(proxy.seen.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PUT']);
    expect(proxy.seen[1]?.bytes).toBe(layer.gzip.length);
    const stored = await fetch(`${registry.url}/v2/streamed/app/blobs/${layer.descriptor.digest}`);
    expect(Buffer.from(await stored.arrayBuffer()).equals(layer.gzip)).toBe(true);

    proxy.seen.length = 0;
    await client.push(image.descriptor, `${proxy.host}/streamed/app:v1`);
    expect(proxy.seen.some((r) => r.path.includes(layer.descriptor.digest))).toBe(false);
    expect(events).toContainEqual({ kind: 'blob-done', digest: layer.descriptor.digest, size: layer.descriptor.size, outcome: 'uploaded' });
    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/streamed/app:v1`])) as { Digest: string };
    expect(inspected.Digest).toBe(image.descriptor.digest);
  });

  it('fails a streamed upload the registry drops, naming it, and push then uploads the stored blob', async () => {
    const { root, image } = await localImage([{ 'dropped.bin': randomBytes(100_000).toString('latin1') }]);
    const layer = image.layers[0]!;
    const client = new RegistryClient({ root, retry: fastRetry });
    proxy.decide = (req) => (req.method === 'PATCH' ? 'drop' : 'pass');
    try {
      const once = (async function* () {
        yield layer.gzip;
      })();
      await expect(client.uploadStream(`${proxy.host}/streamdrop/app:v1`, once)).rejects.toThrow(`${proxy.host}/streamdrop/app (streamed layer)`);
    } finally {
      proxy.decide = () => 'pass';
    }
    proxy.seen.length = 0;
    await client.push(image.descriptor, `${proxy.host}/streamdrop/app:v1`);
    expect(proxy.seen.filter((r) => r.method === 'HEAD' && r.path.endsWith(layer.descriptor.digest))).toHaveLength(1);
    expect(proxy.uploads().map((r) => r.bytes)).toContain(layer.gzip.length);
    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/streamdrop/app:v1`])) as { Digest: string };
    expect(inspected.Digest).toBe(image.descriptor.digest);
  });

  it('retries an upload whose connection dropped and a 503', async () => {
    const { root, image } = await localImage([{ 'drop.txt': 'dropped once\n' }]);
    const client = new RegistryClient({ root, retry: fastRetry });
    let dropped = 0;
    let failed = 0;
    proxy.decide = (req) => {
      if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/') && dropped === 0) {
        dropped++;
        return 'drop';
      }
      if (req.method === 'HEAD' && failed === 0) {
        failed++;
        return { status: 503 };
      }
      return 'pass';
    };
    try {
      await client.push(image.descriptor, `${proxy.host}/flaky/app:v1`);
    } finally {
      proxy.decide = () => 'pass';
    }
    expect([dropped, failed]).toEqual([1, 1]);
    const inspected = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/flaky/app:v1`])) as { Digest: string };
    expect(inspected.Digest).toBe(image.descriptor.digest);
  });
});

describe('pull', () => {
  let source: { root: string; image: TestImage };

  beforeAll(async () => {
    source = await localImage([{ 'bin/tool': '#!/bin/sh\necho tool\n' }, { 'data/x': 'x'.repeat(5000) }]);
    const dir = join(await newRoot(), 'layout');
    await writeOciDir(new ContentStore(source.root), source.image, dir, 'v1');
    skopeo(['copy', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${registry.host}/pulled/app:v1`]);
  });

  it('pulls an image skopeo pushed, verified, and tags it', async () => {
    const root = await newRoot();
    const events: RegistryProgress[] = [];
    const client = new RegistryClient({ root, retry: fastRetry, onProgress: (e) => events.push(e) });
    const pulled = await client.pull(`${registry.host}/pulled/app:v1`);
    expect(pulled.descriptor.digest).toBe(source.image.descriptor.digest);
    expect(pulled.config.rootfs.diff_ids).toEqual(source.image.config.rootfs.diff_ids);
    const store = new ContentStore(root);
    for (const [i, layer] of source.image.layers.entries()) {
      expect((await store.readBytes(pulled.manifest.layers[i]?.digest as string)).equals(layer.gzip)).toBe(true);
    }
    expect((await new ImageStore(root).resolve(`${registry.host}/pulled/app:v1`))?.digest).toBe(source.image.descriptor.digest);

    events.length = 0;
    await client.pull(`${registry.host}/pulled/app:v1`);
    expect(events.filter((e) => e.kind === 'blob-done').map((e) => (e.kind === 'blob-done' ? e.outcome : ''))).toEqual(['present', 'present', 'present']);
  });

  it('pulls by digest through a mirror standing in for docker.io', async () => {
    const mirrorDir = join(await newRoot(), 'layout');
    await writeOciDir(new ContentStore(source.root), source.image, mirrorDir, 'latest');
    skopeo(['copy', '--dest-tls-verify=false', `oci:${mirrorDir}:latest`, `docker://${registry.host}/library/busybox:latest`]);
    const root = await newRoot();
    const client = new RegistryClient({ root, retry: fastRetry, hosts: { mirrors: { 'docker.io': [registry.url] }, insecure: [] } });
    const pulled = await client.pull('busybox');
    expect(pulled.descriptor.digest).toBe(source.image.descriptor.digest);
    expect((await new ImageStore(root).resolve('busybox'))?.digest).toBe(source.image.descriptor.digest);
    const byDigest = await new RegistryClient({ root: await newRoot(), hosts: { mirrors: { 'docker.io': [registry.url] }, insecure: [] } }).pull(
      `busybox@${source.image.descriptor.digest}`,
    );
    expect(byDigest.manifest.layers).toEqual(source.image.manifest.layers);
  });

  it('fails at once on a host DNS does not know, and passes over a mirror there', async () => {
    // .invalid never resolves (RFC 6761). Retried, 10 attempts would wait ~10 s of backoff.
    const patient = { attempts: 10, baseDelayMs: 1000, maxTimeMs: 60_000 };
    const started = Date.now();
    const unknown = await new RegistryClient({ root: await newRoot(), retry: patient }).pull('registry.invalid/team/app:v1').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'REGISTRY_UNREACHABLE', message: 'registry.invalid/team/app:v1: registry registry.invalid is unreachable: no such host registry.invalid' });
    const hub = await new RegistryClient({ root: await newRoot(), retry: patient, hosts: { mirrors: {}, insecure: [] } }).pull('nosuch/app').catch((e: unknown) => e);
    expect(hub).toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect((hub as Error).message).toMatch(/\(no mirror of docker\.io is set: --registry-mirror URL or TSBUILD_REGISTRY_MIRRORS\)$/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const mirrorsFirst = { mirrors: { [registry.host]: ['http://mirror.invalid:5000'] }, insecure: [] };
    const pulled = await new RegistryClient({ root: await newRoot(), retry: patient, hosts: mirrorsFirst }).pull(`${registry.host}/pulled/app:v1`);
    expect(pulled.descriptor.digest).toBe(source.image.descriptor.digest);
  });

  it('falls back from a mirror that lacks the image to the registry itself', async () => {
    proxy.decide = () => ({ status: 404 });
    const root = await newRoot();
    try {
      const client = new RegistryClient({ root, retry: fastRetry, hosts: { mirrors: { [registry.host]: [proxy.url] }, insecure: [] } });
      const pulled = await client.pull(`${registry.host}/pulled/app:v1`);
      expect(pulled.descriptor.digest).toBe(source.image.descriptor.digest);
    } finally {
      proxy.decide = () => 'pass';
    }
  });

  it('picks linux/amd64 from a multi-platform index and keeps the index', async () => {
    const root = await newRoot();
    const store = new ContentStore(root);
    const arm = await storeTestImage(store, { layers: [{ arch: 'arm64\n' }], architecture: 'arm64' });
    const amd = await storeTestImage(store, { layers: [{ arch: 'amd64\n' }], architecture: 'amd64' });
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { ...arm.descriptor, platform: { os: 'linux', architecture: 'arm64' } },
          { ...amd.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    const index = await store.write(indexBytes);
    const dir = join(await newRoot(), 'layout');
    await writeOciDir(store, arm, dir, 'unused');
    await writeOciDir(store, amd, dir, 'unused');
    await writeFile(join(dir, 'blobs', 'sha256', index.digest.slice(7)), indexBytes);
    const top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: index.digest, size: index.size, annotations: { 'org.opencontainers.image.ref.name': 'multi' } };
    await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [top] }));
    skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${dir}:multi`, `docker://${registry.host}/multi/app:v1`]);

    const pullRoot = await newRoot();
    const pulled = await new RegistryClient({ root: pullRoot, retry: fastRetry, platform: { os: 'linux', architecture: 'amd64' } }).pull(`${registry.host}/multi/app:v1`);
    expect(pulled.descriptor.digest).toBe(amd.descriptor.digest);
    expect(pulled.top.digest).toBe(index.digest);
    const pulledStore = new ContentStore(pullRoot);
    expect(await pulledStore.has(index.digest)).toBe(true);
    expect(await pulledStore.has(arm.manifest.layers[0]?.digest as string)).toBe(false);
    expect((await new ImageStore(pullRoot).resolve(`${registry.host}/multi/app:v1`))?.digest).toBe(index.digest);
  });

  it('names the platforms an index has when ours is not one of them', async () => {
    const root = await newRoot();
    const client = new RegistryClient({ root, retry: fastRetry, platform: { os: 'linux', architecture: 's390x' } });
    const error = (await client.pull(`${registry.host}/multi/app:v1`).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('PLATFORM_NOT_FOUND');
    expect(error.message).toMatch(/linux\/s390x/);
    expect(error.message).toMatch(/linux\/arm64.*linux\/amd64|linux\/amd64.*linux\/arm64/);
    expect(await new ImageStore(root).list()).toEqual([]);
  });

  it('gives up on a registry that stops answering, and names a 403', async () => {
    const previous = process.env.TSBUILD_REGISTRY_TIMEOUT_MS;
    process.env.TSBUILD_REGISTRY_TIMEOUT_MS = '300';
    try {
      proxy.decide = (req) => (req.url?.includes('/manifests/') ? 'stall' : 'pass');
      const stalled = (await new RegistryClient({ root: await newRoot(), retry: { attempts: 2, baseDelayMs: 10, maxTimeMs: 5_000 } })
        .pull(`${proxy.host}/pulled/app:v1`)
        .catch((e: unknown) => e)) as { code: string; message: string };
      expect(stalled.code).toBe('REGISTRY_ERROR');
      expect(stalled.message).toMatch(new RegExp(`^${proxy.host}/pulled/app:v1: registry ${proxy.host} failed after 2 attempt\\(s\\): .*[Tt]imeout`));
    } finally {
      proxy.decide = () => 'pass';
      if (previous === undefined) delete process.env.TSBUILD_REGISTRY_TIMEOUT_MS;
      else process.env.TSBUILD_REGISTRY_TIMEOUT_MS = previous;
    }
    proxy.decide = (req) => (req.url?.includes('/manifests/') ? { status: 403 } : 'pass');
    const denied = (await new RegistryClient({ root: await newRoot(), retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`).catch((e: unknown) => e)) as { code: string; message: string };
    proxy.decide = () => 'pass';
    expect(denied.message).toContain(`${proxy.host}/pulled/app:v1`);
    expect(denied.message).toMatch(/403/);
  });

  it('stops on a corrupted or truncated blob with nothing stored', async () => {
    const layer = source.image.manifest.layers[1] as Descriptor;
    for (const fault of ['corrupt', 'truncate'] as const) {
      const root = await newRoot();
      proxy.decide = (req) => (req.url?.endsWith(`/blobs/${layer.digest}`) ? fault : 'pass');
      const client = new RegistryClient({ root, retry: fastRetry });
      const error = await client.pull(`${proxy.host}/pulled/app:v1`).catch((e: unknown) => e);
      proxy.decide = () => 'pass';
      expect(error).toMatchObject({ code: fault === 'corrupt' ? 'DIGEST_MISMATCH' : 'SIZE_MISMATCH' });
      expect((error as Error).message).toContain(`${proxy.host}/pulled/app@${layer.digest}`);
      const store = new ContentStore(root);
      expect(await store.has(layer.digest)).toBe(false);
      expect(await store.has(source.image.descriptor.digest)).toBe(false);
      expect(await new ImageStore(root).list()).toEqual([]);
      expect(existsSync(join(root, 'blobs', 'sha256', layer.digest.slice(7)))).toBe(false);
    }
  });

  it('never stores a blob sent under a wrong Content-Length, and retries one that overstates it', async () => {
    const layer = source.image.manifest.layers[1] as Descriptor;
    for (const fault of ['overstate', 'understate'] as const) {
      const root = await newRoot();
      proxy.decide = (req) => (req.url?.endsWith(`/blobs/${layer.digest}`) ? fault : 'pass');
      const error = await new RegistryClient({ root, retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`).catch((e: unknown) => e);
      proxy.decide = () => 'pass';
      const message = (error as Error).message;
      if (fault === 'overstate') {
        // The body ends before the length it announced: a broken transfer, retried, then given up.
        expect(error).toMatchObject({ code: 'REGISTRY_ERROR' });
        expect(message).toMatch(new RegExp(`^${proxy.host}/pulled/app@${layer.digest}: registry ${proxy.host} failed after 4 attempt\\(s\\): `));
      } else {
        expect(error).toMatchObject({ code: 'SIZE_MISMATCH' });
        expect(message).toContain(`${proxy.host}/pulled/app@${layer.digest}`);
      }
      expect(message).not.toContain('\n');
      expect(await new ContentStore(root).has(layer.digest)).toBe(false);
      expect(await new ImageStore(root).list()).toEqual([]);
    }
    let faults = 1;
    proxy.decide = (req) => (req.url?.endsWith(`/blobs/${layer.digest}`) && faults-- > 0 ? 'overstate' : 'pass');
    const root = await newRoot();
    try {
      await new RegistryClient({ root, retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`);
    } finally {
      proxy.decide = () => 'pass';
    }
    expect(await new ContentStore(root).has(layer.digest)).toBe(true);
  });

  it('retries 500, 429, 503 and a dropped download, then succeeds', async () => {
    const layer = source.image.manifest.layers[1] as Descriptor;
    const faults: Array<'drop' | { status: number }> = [{ status: 500 }, { status: 429 }, { status: 503 }, 'drop'];
    proxy.decide = (req) => (req.url?.endsWith(`/blobs/${layer.digest}`) ? (faults.shift() ?? 'pass') : 'pass');
    const root = await newRoot();
    try {
      const pulled = await new RegistryClient({ root, retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`);
      expect(pulled.descriptor.digest).toBe(source.image.descriptor.digest);
    } finally {
      proxy.decide = () => 'pass';
    }
    expect(faults).toEqual([]);
    expect(await new ContentStore(root).has(layer.digest)).toBe(true);
  });

  it('gives up on endless 503s, naming the registry and reference', async () => {
    proxy.decide = () => ({ status: 503 });
    const error = await new RegistryClient({ root: await newRoot(), retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`).catch((e: unknown) => e);
    proxy.decide = () => 'pass';
    expect(error).toMatchObject({ code: 'REGISTRY_ERROR' });
    expect((error as Error).message).toBe(`${proxy.host}/pulled/app:v1: registry ${proxy.host} failed after 4 attempt(s): HTTP 503`);
  });

  it('names the registry when it wants credentials we do not have, and reports a missing image', async () => {
    proxy.decide = () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="test"' } });
    const error = await new RegistryClient({ root: await newRoot(), retry: fastRetry }).pull(`${proxy.host}/pulled/app:v1`).catch((e: unknown) => e);
    proxy.decide = () => 'pass';
    expect(error).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect((error as Error).message).toBe(`${proxy.host}/pulled/app:v1: registry ${proxy.host} refused access (HTTP 401): no credentials (run tsbuild login)`);

    const missing = await new RegistryClient({ root: await newRoot(), retry: fastRetry }).pull(`${registry.host}/nothing/here:v9`).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    expect((missing as Error).message).toMatch(new RegExp(`^${registry.host}/nothing/here:v9: registry ${registry.host} answered HTTP 404`));
  });
});
