import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore, type ImageConfig, type ImageManifest } from '@tsbuild/oci';
import { mountsUnder } from '@tsbuild/snapshot';

import { repoRoot } from './support/paths.js';
import { startRegistry, type TestRegistry } from './support/registry.js';
import { storeBusybox } from './support/busybox.js';

const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let registry: TestRegistry;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-cli-build-'));
  registry = await startRegistry();
  const root = join(dir, 'root');
  await storeBusybox(root);
  env = { TSBUILD_ROOT: root, CI: 'true' };
});

afterAll(async () => {
  await registry?.stop();
  expect(mountsUnder(dir)).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

async function context(name: string, dockerfile: string): Promise<string> {
  const ctx = join(dir, name);
  await mkdir(ctx, { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), dockerfile);
  return ctx;
}

describe('tsbuild -t REF --push CONTEXT', () => {
  it('builds examples/hello, pushes it, and the registry holds what was built', async () => {
    const ref = `${registry.host}/hello:v1`;
    const result = await run(['-t', ref, '--push', 'examples/hello'], env);
    expect(result.stderr).toMatch(/#\d+ \[2\/6\] WORKDIR \/app/);
    expect(result.stderr).toMatch(/#\d+ DONE/);
    expect(result.status).toBe(0);
    const digest = result.stdout.trim().split(' ')[0]!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    expect(inspected.Digest).toBe(digest);
    expect(inspected.Layers).toHaveLength(4);
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${ref}`], { encoding: 'utf8' }));
    expect(config.config.Cmd).toEqual(['/app/hello.sh']);

    // A second build is all cached and its push sends no blob again.
    const again = await run(['-t', ref, '--push', 'examples/hello'], env);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('CACHED');
    expect(again.stderr).not.toMatch(/: (uploaded|mounted)/);
  });

  it('runs the built image with tsbuild run', async () => {
    await run(['-t', 'hello-run', 'examples/hello'], env);
    const result = await run(['run', '--rm', 'hello-run'], env);
    expect(result.stdout).toMatch(/^Hello from tsbuild\nbuilt on (x86_64|aarch64)\n$/);
    expect(result.status).toBe(0);
    const exit = await run(['run', 'hello-run', 'sh', '-c', 'exit 7'], env);
    expect(exit.status).toBe(7);
  });

  it('runs with docker run flags: -e, -v (ro, and a missing host dir made), -w, -u, --entrypoint', async () => {
    const shared = join(dir, 'volume');
    await mkdir(shared);
    await writeFile(join(shared, 'in.txt'), 'from the host\n');
    const made = join(dir, 'made-by-run');
    const script = 'echo "A=$A FROM_HOST=$FROM_HOST UNSET=${UNSET-unset} PATH=$PATH"; pwd; id -un; cat in.txt; touch x 2>/dev/null || echo read-only';
    const ran = await run(
      ['run', '-e', 'A=1', '-e', 'FROM_HOST', '-e', 'UNSET', '-e', 'PATH=/bin', '-v', `${shared}:/data:ro`, '-w', '/data', '-u', 'nobody', 'busybox', 'sh', '-c', script],
      { ...env, FROM_HOST: 'here' },
    );
    expect([ran.status, ran.stderr]).toEqual([0, '']);
    expect(ran.stdout).toBe('A=1 FROM_HOST=here UNSET=unset PATH=/bin\n/data\nnobody\nfrom the host\nread-only\n');
    expect(await readdir(shared)).toEqual(['in.txt']);
    expect((await run(['run', '--volume', `${made}:/made`, 'busybox', 'sh', '-c', 'echo out > /made/out'], env)).status).toBe(0);
    expect(await readFile(join(made, 'out'), 'utf8')).toBe('out\n');
    // --entrypoint replaces the ENTRYPOINT and drops the image's CMD (busybox's is sh); "" clears it
    expect((await run(['run', '--entrypoint', 'echo', 'busybox', 'a', 'b'], env)).stdout).toBe('a b\n');
    expect((await run(['run', '--entrypoint', 'echo', 'busybox'], env)).stdout).toBe('\n');
    expect((await run(['run', '--entrypoint', '', 'busybox', 'echo', 'cleared'], env)).stdout).toBe('cleared\n');
    const named = await run(['run', '-v', 'data:/data', 'busybox', 'true'], env);
    expect([named.status, named.stderr]).toEqual([2, 'error: run: --volume "data:/data": the host path must be absolute (named volumes are not supported)\n']);
  });
});

describe('a build that is not pushed', () => {
  it('keeps its layers as plain tars; tsbuild push gzips them once, and the registry holds a gzip image umoci unpacks', async () => {
    const ctx = await context('plain-local', 'FROM busybox\nRUN echo plain > /p\n');
    const built = await run(['build', '-q', '-t', 'plain-local', ctx], env);
    expect(built.status).toBe(0);
    const store = new ContentStore(join(dir, 'root'));
    const local = await store.readJson<ImageManifest>(built.stdout.trim());
    const config = await store.readJson<ImageConfig>(local.config.digest);
    expect(local.layers.at(-1)).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: config.rootfs.diff_ids.at(-1) });

    const ref = `${registry.host}/plain/app:v1`;
    const pushed = await run(['push', '-q', 'plain-local', ref], env);
    expect(pushed.status).toBe(0);
    const remote = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    expect(remote.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(local.layers.map(() => 'application/vnd.oci.image.layer.v1.tar+gzip'));
    expect(remote.config.digest).toBe(local.config.digest);
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    expect(inspected.Digest).toBe(pushed.stdout.trim());
    const out = join(dir, 'plain-unpacked');
    await mkdir(out);
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}/layout:latest`]);
    execFileSync('umoci', ['unpack', '--image', `${out}/layout:latest`, `${out}/bundle`], { stdio: 'ignore' });
    expect(await readFile(join(out, 'bundle', 'rootfs', 'p'), 'utf8')).toBe('plain\n');

    // Pushed again elsewhere: the gzip blobs are reused, not made again.
    const compressedRecords = (await readdir(join(dir, 'root', 'compressed'))).length;
    const again = await run(['push', '-q', 'plain-local', `${registry.host}/plain/other:v1`], env);
    expect(again.stdout).toBe(pushed.stdout);
    expect((await readdir(join(dir, 'root', 'compressed'))).length).toBe(compressedRecords);
  });
});

describe('compression=zstd', () => {
  it('pushes OCI zstd layers (base layers stay gzip) that skopeo and umoci read and that another machine builds FROM', async () => {
    const ctx = await context('zstd', 'FROM busybox\nRUN echo zstd > /z && seq 1 20000 > /numbers\n');
    const ref = `${registry.host}/zstd/app:v1`;
    const built = await run(['build', '-q', '-t', ref, '-o', 'type=image,push=true,compression=zstd,compression-level=5', ctx], env);
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const remote = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    const types = remote.layers.map((l: { mediaType: string }) => l.mediaType);
    expect(types.at(-1)).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(new Set(types.slice(0, -1))).toEqual(new Set(['application/vnd.oci.image.layer.v1.tar+gzip']));
    const blob = execFileSync('curl', ['-sf', `http://${registry.host}/v2/zstd/app/blobs/${remote.layers.at(-1).digest}`]);
    expect(execFileSync('zstd', ['-dcq'], { input: blob }).subarray(0, 100).toString()).toContain('numbers');

    const out = join(dir, 'zstd-unpacked');
    await mkdir(out);
    // skopeo decodes the zstd layer (re-compressing it as gzip, which Debian's umoci 0.4.7 needs).
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-compress-format', 'gzip', `docker://${ref}`, `oci:${out}/layout:latest`]);
    execFileSync('umoci', ['unpack', '--image', `${out}/layout:latest`, `${out}/bundle`], { stdio: 'ignore' });
    expect(await readFile(join(out, 'bundle', 'rootfs', 'z'), 'utf8')).toBe('zstd\n');

    // A fresh root pulls the zstd layer and unpacks it under a new build.
    const otherRoot = join(dir, 'zstd-other-root');
    await storeBusybox(otherRoot);
    const otherEnv = { TSBUILD_ROOT: otherRoot, CI: 'true' };
    const from = await context('zstd-from', `FROM ${ref}\nRUN cat /z > /z2 && tail -n 1 /numbers >> /z2\n`);
    expect((await run(['build', '-q', '-t', 'zstd-from', from], otherEnv)).status).toBe(0);
    expect((await run(['run', 'zstd-from', 'cat', '/z2'], otherEnv)).stdout).toBe('zstd\n20000\n');
  });

  it('tsbuild push --compression zstd sends a local image with zstd layers; the docker format and bad levels are usage errors', async () => {
    const ctx = await context('zstd-push', 'FROM busybox\nRUN echo later > /l\n');
    expect((await run(['build', '-q', '-t', 'zstd-later', ctx], env)).status).toBe(0);
    const ref = `${registry.host}/zstd/later:v1`;
    const pushed = await run(['push', '-q', '--compression', 'zstd', 'zstd-later', ref], env);
    expect(pushed.status).toBe(0);
    const remote = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
    expect(remote.layers.at(-1).mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');

    const docker = await run(['build', '-q', '--format', 'docker', '-o', 'type=oci,dest=/dev/null,compression=zstd', ctx], env);
    expect(docker.stderr).toBe('error: build: --output: compression=zstd needs --format oci (the docker format has no zstd media type)\n');
    expect(docker.status).toBe(2);
    const level = await run(['push', '--compression', 'zstd', '--compression-level', '20', 'zstd-later', ref], env);
    expect(level.stderr).toBe('error: push: compression-level for zstd must be 1-19, not "20"\n');
    expect(level.status).toBe(2);
    const name = await run(['build', '-q', '-o', 'type=oci,dest=/dev/null,compression=brotli', ctx], env);
    expect(name.stderr).toBe('error: build: --output: compression must be gzip, zstd or uncompressed, not "brotli"\n');
  });
});

describe('concurrent builds sharing one root and one registry', () => {
  it('all succeed, with the digest of a serial build, and the registry holds every tag', async () => {
    const ctx = await context('concurrent-push', 'FROM busybox\nRUN echo shared > /shared && mkdir -p /data && for i in $(seq 1 50); do echo $i > /data/$i; done\nCMD ["cat", "/shared"]\n');
    const refs = [1, 2, 3, 4].map((n) => `${registry.host}/concurrent/app:v${n}`);
    const results = await Promise.all(refs.map((ref) => run(['build', '-q', '--source-date-epoch', '1600000000', '-t', ref, '--push', ctx], env)));
    expect(results.map((r) => r.status)).toEqual([0, 0, 0, 0]);
    const digests = new Set(results.map((r) => r.stdout.trim()));
    expect(digests.size).toBe(1);
    const serial = await run(['build', '-q', '--no-cache', '--source-date-epoch', '1600000000', '-t', `${registry.host}/concurrent/app:serial`, '--push', ctx], env);
    expect(serial.stdout.trim()).toBe([...digests][0]);
    for (const ref of refs) {
      const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
      expect(inspected.Digest).toBe([...digests][0]);
    }
    expect((await run(['check'], env)).status).toBe(0);
  });
});

describe('--output', () => {
  it('writes the final file system, a docker load archive and an OCI archive that skopeo reads', async () => {
    const out = join(dir, 'outputs');
    const result = await run(['build', '-q', '-t', 'outputs:v1', '-o', `type=local,dest=${join(out, 'fs')}`, '-o', `type=docker,dest=${join(out, 'docker.tar')}`, '-o', `type=oci,dest=${join(out, 'oci.tar')}`, 'examples/hello'], env);
    expect(result.status).toBe(0);
    expect(await readFile(join(out, 'fs', 'app', 'hello.sh'), 'utf8')).toContain('echo "$GREETING"');
    expect(await readFile(join(out, 'fs', 'app', 'build-info'), 'utf8')).toMatch(/^built on /);
    const dockerConfig = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `docker-archive:${join(out, 'docker.tar')}`], { encoding: 'utf8' }));
    expect(dockerConfig.config.Cmd).toEqual(['/app/hello.sh']);
    const oci = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${join(out, 'oci.tar')}`], { encoding: 'utf8' }));
    expect(oci.Layers).toHaveLength(4);
    expect(result.stdout.trim()).toBe(oci.Digest);
  });
});

describe('failures', () => {
  it('reports a failing RUN as one line with the Dockerfile line and exits 1', async () => {
    const ctx = await context('fail', 'FROM busybox\nRUN echo preparing\nRUN echo "broken" >&2 && exit 3\n');
    const result = await run(['build', ctx], env);
    expect(result.status).toBe(1);
    const file = join(ctx, 'Dockerfile');
    expect(result.stderr).toContain(`error: ${file}:3: process "/bin/sh -c echo "broken" >&2 && exit 3" did not complete successfully: exit code: 3\nbroken\n`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a base image the registry does not have on its FROM line', async () => {
    const ctx = await context('missing-base', `# a comment\nFROM ${registry.host}/missing/base:1\nRUN true\n`);
    const result = await run(['build', ctx], env);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${join(ctx, 'Dockerfile')}:2: .*${registry.host}.*missing/base.*`, 'm'));
    expect(result.stderr).toMatch(/not found|404/i);
  });
});
