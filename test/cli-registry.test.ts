import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ContentStore, ImageStore, MediaTypes, type ImageManifest } from '@tsbuild/oci';

import { storeTestImage, type TestImage } from './support/oci-image.js';
import { repoRoot } from './support/paths.js';
import { startRegistry, type TestRegistry } from './support/registry.js';
import { startRegistryProxy, type RegistryProxy } from './support/registry-proxy.js';
import { startTokenServer, type TokenServer } from './support/token-server.js';

/** Runs the built CLI without blocking this process (the token server answers from here). */
function run(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(repoRoot, 'packages/cli/bin/tsbuild.js'), ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

let registry: TestRegistry;
let proxy: RegistryProxy;
let dir: string;
let image: TestImage;
let sourceRoot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-cli-registry-'));
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
  sourceRoot = join(dir, 'source');
  image = await storeTestImage(new ContentStore(sourceRoot), { layers: [{ 'hello.txt': 'hello from the cli\n' }] });
  await new ImageStore(sourceRoot).tag('app:v1', image.descriptor);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('tsbuild push / pull', () => {
  it('pushes a local image under another name and pulls it into an empty store', async () => {
    const pushed = await run(['push', 'app:v1', `${registry.host}/cli/app:v1`], { TSBUILD_ROOT: sourceRoot });
    expect(pushed.stderr).toContain(`${image.manifest.layers[0]?.digest.slice(7, 19)}: uploaded (${image.manifest.layers[0]?.size} bytes)`);
    expect(pushed.stdout).toBe(`Pushed ${registry.host}/cli/app:v1 (${image.descriptor.digest})\n`);
    expect(pushed.status).toBe(0);

    const root = join(dir, 'pulled');
    const pulled = await run(['pull', '-q', `${registry.host}/cli/app:v1`], { TSBUILD_ROOT: root });
    expect(pulled).toMatchObject({ status: 0, stdout: `${image.descriptor.digest}\n` });
    expect((await new ImageStore(root).resolve(`${registry.host}/cli/app:v1`))?.digest).toBe(image.descriptor.digest);
  });

  it('serves FROM-style short names from a mirror given in the environment', async () => {
    await run(['push', 'app:v1', `${registry.host}/library/busybox:latest`], { TSBUILD_ROOT: sourceRoot });
    const root = join(dir, 'mirror');
    const pulled = await run(['pull', 'busybox'], { TSBUILD_ROOT: root, TSBUILD_REGISTRY_MIRRORS: registry.url });
    expect(pulled.stdout).toBe(`Pulled docker.io/library/busybox:latest (${image.descriptor.digest})\n`);
    expect(pulled.status).toBe(0);
  });

  it('reports a missing image in one line naming registry, repository and tag', async () => {
    const pulled = await run(['pull', `${registry.host}/cli/absent:v2`], { TSBUILD_ROOT: join(dir, 'absent') });
    expect(pulled.status).toBe(1);
    expect(pulled.stderr).toMatch(new RegExp(`^error: ${registry.host}/cli/absent:v2: registry ${registry.host} answered HTTP 404: MANIFEST_UNKNOWN [^\\n]*\\n$`));
  });
});

describe('tsbuild push of layers kept as plain tars', () => {
  /** A local image of two plain-tar layers, as a build leaves it, named `name`. */
  async function plainImage(name: string): Promise<{ root: string; image: TestImage }> {
    const root = join(dir, name);
    const layers = [{ 'noise.b64': randomBytes(300_000).toString('base64') }, { 'etc/app.conf': `name=${name}\n` }];
    const image = await storeTestImage(new ContentStore(root), { layers, plain: true });
    await new ImageStore(root).tag(`${name}:v1`, image.descriptor);
    return { root, image };
  }

  /** The pushed image's layers as skopeo copies them out, gunzipped. */
  function pushedTars(ref: string): { manifest: ImageManifest; tars: Buffer[] } {
    const out = join(dir, `copy-${ref.replace(/\W+/g, '-')}`);
    execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:x`]);
    const index = JSON.parse(execFileSync('cat', [join(out, 'index.json')], { encoding: 'utf8' })) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(execFileSync('cat', [join(out, 'blobs/sha256', index.manifests[0]!.digest.slice(7))], { encoding: 'utf8' })) as ImageManifest;
    return { manifest, tars: manifest.layers.map((l) => gunzipSync(execFileSync('cat', [join(out, 'blobs/sha256', l.digest.slice(7))]))) };
  }

  it('uploads each layer while it is compressed, asking nothing more about it', async () => {
    const { root, image } = await plainImage('streamed');
    proxy.seen.length = 0;
    const pushed = await run(['push', 'streamed:v1', `${proxy.host}/plain/streamed:v1`], { TSBUILD_ROOT: root });
    expect(pushed.status).toBe(0);
    const { manifest, tars } = pushedTars(`${registry.host}/plain/streamed:v1`);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([MediaTypes.ociLayerGzip, MediaTypes.ociLayerGzip]);
    expect(tars).toEqual(image.layers.map((l) => l.tar));
    for (const layer of manifest.layers) {
      // One chunked PATCH carried the whole blob; no HEAD or second upload for it.
      expect(proxy.seen.filter((r) => r.method === 'PATCH').map((r) => r.bytes)).toContain(layer.size);
      expect(proxy.seen.filter((r) => r.path.includes(layer.digest))).toEqual([]);
      expect(pushed.stderr).toContain(`${layer.digest.slice(7, 19)}: uploaded (${layer.size} bytes)`);
    }
    expect(pushed.stdout).toMatch(/^Pushed [^ ]+\/plain\/streamed:v1 \(sha256:[0-9a-f]{64}\)\n$/);
  });

  it('uploads the stored blob when the registry drops the streamed upload', async () => {
    const { root, image } = await plainImage('dropped');
    let dropped = 0;
    proxy.decide = (req) => (req.method === 'PATCH' && dropped++ === 0 ? 'drop' : 'pass');
    try {
      const pushed = await run(['push', 'dropped:v1', `${proxy.host}/plain/dropped:v1`], { TSBUILD_ROOT: root });
      expect(pushed.status).toBe(0);
      expect(pushed.stderr).toMatch(/: uploaded \(\d+ bytes\)/);
    } finally {
      proxy.decide = () => 'pass';
    }
    expect(dropped).toBe(2);
    expect(pushedTars(`${registry.host}/plain/dropped:v1`).tars).toEqual(image.layers.map((l) => l.tar));
  });
});

describe('tsbuild login', () => {
  let tokens: TokenServer;
  let secured: TestRegistry;

  beforeAll(async () => {
    tokens = await startTokenServer({ ci: 'pa55' });
    secured = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
  });
  afterAll(async () => {
    await secured?.stop();
    await tokens?.stop();
  });

  it('checks the password, saves it in auths, and push then uses it', async () => {
    const dockerConfig = join(dir, 'docker');
    const wrong = await run(['login', '-u', 'ci', '--password-stdin', secured.host], { DOCKER_CONFIG: dockerConfig }, 'nope\n');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`registry ${secured.host} refused access (HTTP 401)`);

    const ok = await run(['login', '-u', 'ci', '--password-stdin', secured.host], { DOCKER_CONFIG: dockerConfig }, 'pa55\n');
    expect(ok.stdout).toBe(`Login Succeeded (${secured.host}, saved in ${join(dockerConfig, 'config.json')})\n`);
    expect(ok.status).toBe(0);
    const saved = JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(saved.auths[secured.host]?.auth).toBe(Buffer.from('ci:pa55').toString('base64'));

    const pushed = await run(['push', '-q', 'app:v1', `${secured.host}/private/app:v1`], { TSBUILD_ROOT: sourceRoot, DOCKER_CONFIG: dockerConfig });
    expect(pushed).toMatchObject({ status: 0, stdout: `${image.descriptor.digest}\n` });
  });
});
