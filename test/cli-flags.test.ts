import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';

const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');
let dir: string;
let root: string;

function run(args: string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, TSBUILD_ROOT: root, CI: 'true' } }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-flags-'));
  root = join(dir, 'root');
  await storeBusybox(root);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function context(name: string, dockerfile: string): Promise<string> {
  const ctx = join(dir, name);
  await mkdir(ctx, { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), dockerfile);
  return ctx;
}

describe('docker build flags', () => {
  it('--label, --iidfile and --metadata-file as docker buildx writes them', async () => {
    const iid = join(dir, 'iid');
    const metadata = join(dir, 'metadata.json');
    const result = await run(['build', '-q', '-t', 'flags:one', '-t', 'flags:two', '--label', 'team=builds', '--iidfile', iid, '--metadata-file', metadata, 'examples/hello']);
    expect(result.status).toBe(0);
    const digest = result.stdout.trim();
    expect(await readFile(iid, 'utf8')).toBe(digest);
    const meta = JSON.parse(await readFile(metadata, 'utf8'));
    expect(meta['containerimage.digest']).toBe(digest);
    expect(meta['image.name']).toBe('docker.io/library/flags:one,docker.io/library/flags:two');
    const inspect = JSON.parse((await run(['inspect', 'flags:two'])).stdout);
    expect(JSON.stringify(inspect)).toContain('"team":"builds"');
  });

  it('-f - reads the Dockerfile from stdin; --network none and --add-host reach RUN; tmpfs mounts stay out of the layer', async () => {
    const dockerfile = 'FROM busybox\nRUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/x && grep -c "myhost" /etc/hosts > /hosts-lines && grep -c ":" /proc/net/dev > /interfaces\n';
    const result = await run(['build', '-q', '-t', 'flags:net', '-f', '-', '--network', 'none', '--add-host', 'myhost:10.1.2.3', await context('net', '')], dockerfile);
    expect(result.status).toBe(0);
    const out = await run(['run', 'flags:net', 'sh', '-c', 'cat /hosts-lines /interfaces; ls /scratch | wc -l']);
    // one /etc/hosts line for myhost; only the loopback interface without a network; /scratch empty
    expect(out.stdout.split('\n').slice(0, 3)).toEqual(['1', '1', '0']);
  });

  it('refuses another platform, a bad --progress and a --push without a tag, as usage errors', async () => {
    const platform = await run(['build', '--platform', 'linux/s390x', 'examples/hello']);
    expect(platform.status).toBe(2);
    expect(platform.stderr).toMatch(/^error: build: --platform linux\/s390x is not supported; tsbuild builds for this machine's platform \(linux\/\w+\) only\n$/);
    expect((await run(['build', '--progress', 'fancy', 'examples/hello'])).stderr).toBe('error: build: --progress must be one of auto, tty, plain, rawjson, quiet, not "fancy"\n');
    expect((await run(['build', '--push', 'examples/hello'])).stderr).toBe('error: build: --push needs at least one --tag\n');
    expect((await run(['build', '--bogus', 'examples/hello'])).status).toBe(2);
  });

  it('tsbuild -t x . is tsbuild build -t x .', async () => {
    const ctx = await context('implicit', 'FROM busybox\nCMD ["true"]\n');
    const result = await run(['-q', '-t', 'implicit:latest', ctx]);
    expect(result.status).toBe(0);
    expect((await run(['images'])).stdout).toMatch(/^implicit\s+latest\s/m);
  });
});
