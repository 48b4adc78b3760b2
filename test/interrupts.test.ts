import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '@tsbuild/snapshot';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';
import { startRegistry, type TestRegistry } from './support/registry.js';
import { startRegistryProxy, type RegistryProxy } from './support/registry-proxy.js';

// SIGINT, SIGTERM and SIGKILL at each stage of a build: during a RUN, while a layer is written,
// during a push and during a cache export. Afterwards `tsbuild check` passes, the next command
// leaves no mount, container or temp file behind, and the next build gives the right image.
const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');
let base: string;
let root: string;
let env: NodeJS.ProcessEnv;
let registry: TestRegistry;
let proxy: RegistryProxy;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'tsbuild-interrupts-'));
  root = join(base, 'root');
  await storeBusybox(root);
  env = { ...process.env, TSBUILD_ROOT: root, CI: 'true' };
  registry = await startRegistry();
  proxy = await startRegistryProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  expect(mountsUnder(base)).toEqual([]);
  rmSync(base, { recursive: true, force: true });
});

function tsbuild(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function runcContainers(): string {
  return execFileSync('runc', ['--root', join(root, 'runs', 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim();
}

function ingestFiles(): string[] {
  const dir = join(root, 'content', 'ingest');
  return existsSync(dir) ? readdirSync(dir) : [];
}

const isUpload = (method = '', url = '') => (method === 'PATCH' || method === 'PUT') && url.includes('/blobs/uploads/');

interface Stage {
  dockerfile: string;
  /** Build arguments of the interrupted build only. */
  args: (signal: string) => string[];
  /** Resolves once the build is where the signal must land. */
  reached: (stderr: () => string) => Promise<void>;
  /** The next build, and what it must have made. */
  next: (signal: string) => string[];
  verify: (signal: string, next: { stdout: string }) => Promise<void> | void;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 60_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const stages: Record<string, Stage> = {
  'a RUN': {
    dockerfile: 'FROM busybox\nARG SLEEP=0\nRUN echo started && sleep $SLEEP && echo finished > /done\n',
    args: () => ['--build-arg', 'SLEEP=60'],
    reached: (stderr) => until(() => /#\d+ [\d.]+ started/.test(stderr()), 'the RUN to start'),
    next: (signal) => ['-t', `run-${signal}`],
    verify: async (signal) => {
      const ran = await tsbuild(['run', '--rm', `run-${signal}`, 'cat', '/done']);
      expect(ran.stdout).toBe('finished\n');
    },
  },
  'a layer write': {
    dockerfile: 'FROM busybox\nARG N\nRUN head -c 150000000 /dev/urandom > /big && echo $N\nRUN true\n',
    args: (signal) => ['--build-arg', `N=${signal}`],
    // The layer tar goes to content/ingest before it is renamed into blobs/.
    reached: () => until(() => ingestFiles().length > 0, 'a layer to be written'),
    next: (signal) => ['--build-arg', `N=${signal}`, '-t', `layer-${signal}`],
    verify: async (signal) => {
      const size = await tsbuild(['run', '--rm', `layer-${signal}`, 'sh', '-c', 'wc -c < /big']);
      expect(size.stdout.trim()).toBe('150000000');
    },
  },
  'a push': {
    dockerfile: 'FROM busybox\nARG N\nRUN head -c 3000000 /dev/urandom > /noise && echo $N > /n\n',
    args: (signal) => ['--build-arg', `N=${signal}`, '-t', `${proxy.host}/interrupt/push:${signal}`, '--push'],
    reached: () => until(() => proxy.seen.some((r) => isUpload(r.method, r.path) && r.path.includes('/interrupt/push/')), 'an upload'),
    next: (signal) => ['--build-arg', `N=${signal}`, '-t', `${proxy.host}/interrupt/push:${signal}`, '--push'],
    verify: (signal, next) => {
      const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/interrupt/push:${signal}`], { encoding: 'utf8' }));
      expect(inspected.Digest).toBe(next.stdout.trim());
    },
  },
  'a cache export': {
    dockerfile: 'FROM busybox\nARG N\nRUN head -c 3000000 /dev/urandom > /noise && echo $N > /n\n',
    args: (signal) => ['--build-arg', `N=${signal}`, '--cache-to', `type=registry,ref=${proxy.host}/interrupt/cache:${signal}`],
    reached: () => until(() => proxy.seen.some((r) => isUpload(r.method, r.path) && r.path.includes('/interrupt/cache/')), 'a cache upload'),
    next: (signal) => ['--build-arg', `N=${signal}`, '--cache-to', `type=registry,ref=${proxy.host}/interrupt/cache:${signal}`],
    verify: (signal) => {
      const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/interrupt/cache:${signal}`], { encoding: 'utf8' }));
      expect(manifest.layers.length).toBeGreaterThan(0);
    },
  },
};

const signals = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;

describe.each(Object.entries(stages))('a signal during %s', (name, stage) => {
  it.each(signals)('%s: nothing half-written, check passes, the next build cleans up and is right', async (signal) => {
    const ctx = join(base, `${name.replace(/\W+/g, '-')}-${signal}`);
    const tag = signal.toLowerCase();
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), stage.dockerfile);
    proxy.decide = (req) => (isUpload(req.method, req.url) ? 'stall' : 'pass');
    const child = spawn(process.execPath, [cli, 'build', '--progress', 'plain', ...stage.args(tag), ctx], { env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code, killed) => resolve(code ?? 128 + constants.signals[killed!])));
    await Promise.race([stage.reached(() => stderr), exited.then(() => Promise.reject(new Error(`the build ended first:\n${stderr}`)))]);
    child.kill(signal);
    const code = await exited;
    proxy.decide = () => 'pass';

    expect(code).toBe(128 + constants.signals[signal]);
    if (signal !== 'SIGKILL' && (name === 'a RUN' || name === 'a layer write')) {
      // Handled: the build stops its container and removes its mounts before it exits.
      expect(stderr).toContain(`build interrupted by ${signal}`);
      expect(mountsUnder(root)).toEqual([]);
      expect(runcContainers()).toBe('');
    }
    if (signal === 'SIGKILL' && name === 'a RUN') {
      expect(mountsUnder(join(root, 'work')).length).toBeGreaterThan(0);
      expect(runcContainers()).not.toBe('');
    }
    const check = await tsbuild(['check']);
    expect([check.status, check.stdout]).toEqual([0, expect.stringMatching(/all good\n$/)]);

    const next = await tsbuild(['build', '-q', ...stage.next(tag), ctx]);
    expect(next.stderr).toBe('');
    expect(next.status).toBe(0);
    expect(mountsUnder(root)).toEqual([]);
    expect(readdirSync(join(root, 'work'))).toEqual([]);
    expect(runcContainers()).toBe('');
    expect(ingestFiles()).toEqual([]);
    await stage.verify(tag, next);
  }, 120_000);
});
