import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';

const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');
let dir: string;
let root: string;

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, TSBUILD_ROOT: root, CI: 'true', ...env } }, (error, stdout, stderr) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-progress-'));
  root = join(dir, 'root');
  await storeBusybox(root);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('plain progress (CI logs)', () => {
  it('prints a multi-stage build line by line: numbered steps, output with its time, DONE and CACHED', async () => {
    const first = await run(['build', '--no-cache', 'examples/multistage']);
    expect(first.status).toBe(0);
    const normalise = (text: string) => text.replace(/\d+\.\d+s/g, 'Xs').replace(/^(#\d+) \d+\.\d+ /gm, '$1 T ').replace(/sha256:[0-9a-f]{64}/g, 'sha256:D').replace(/layers, [\d.]+[kMG]?B;/g, 'layers, S;');
    expect(normalise(first.stderr).split('\n')).toEqual([
      '#1 [build 2/4] WORKDIR /src',
      '#1 cache miss: --no-cache',
      '#1 DONE Xs',
      '#2 [build 3/4] COPY src/ ./',
      '#2 cache miss: --no-cache',
      '#2 DONE Xs',
      '#3 [build 4/4] RUN mkdir -p /out && cat header.txt body.txt > /out/report.txt \\',
      '#3 cache miss: --no-cache',
      '#3 DONE Xs',
      '#4 [stage-2 3/4] COPY --from=build /out/report.txt /usr/share/report.txt',
      '#4 cache miss: --no-cache',
      '#4 DONE Xs',
      'writing image sha256:D done: 2 layers, S; 4 steps run, 0 cached',
      '',
    ]);
    const again = await run(['build', 'examples/multistage']);
    expect(normalise(again.stderr).split('\n').filter((l) => l.startsWith('#'))).toEqual([
      '#1 [build 2/4] WORKDIR /src', '#1 CACHED',
      '#2 [build 3/4] COPY src/ ./', '#2 CACHED',
      '#3 [build 4/4] RUN mkdir -p /out && cat header.txt body.txt > /out/report.txt \\', '#3 CACHED',
      '#4 [stage-2 3/4] COPY --from=build /out/report.txt /usr/share/report.txt', '#4 CACHED',
    ]);
  });

  it('groups each step in GitHub Actions and annotates a failure on its line', async () => {
    const ctx = join(dir, 'gha');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo hello\nRUN exit 4\n');
    const result = await run(['build', ctx], { GITHUB_ACTIONS: 'true' });
    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines).toContain('::group::#1 [2/3] RUN echo hello');
    expect(lines.filter((l) => l === '::endgroup::')).toHaveLength(2);
    expect(lines).toContain(`::error file=${join(ctx, 'Dockerfile')},line=3::process "/bin/sh -c exit 4" did not complete successfully: exit code: 4`);
  });
});

describe('rawjson progress', () => {
  it('writes one event per line, each matching the documented schema', async () => {
    const result = await run(['build', '--no-cache', '--progress', 'rawjson', 'examples/hello']);
    expect(result.status).toBe(0);
    const events = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const str = (v: unknown) => typeof v === 'string';
    const location = (v: unknown) => typeof v === 'object' && v !== null && str((v as { file: unknown }).file) && Number.isInteger((v as { line: unknown }).line);
    const schema: Record<string, (e: Record<string, unknown>) => boolean> = {
      'step-started': (e) => str(e.step) && str(e.name) && location(e.location),
      'step-miss': (e) => str(e.step) && str(e.reason),
      'step-log': (e) => str(e.step) && (e.stream === 'stdout' || e.stream === 'stderr') && str(e.line),
      'step-cached': (e) => str(e.step) && str(e.name),
      'step-done': (e) => str(e.step) && str(e.name) && typeof e.seconds === 'number',
      'step-error': (e) => str(e.step) && str(e.message) && location(e.location),
      'image-pulled': (e) => str(e.ref) && str(e.digest),
    };
    expect(events.length).toBeGreaterThanOrEqual(9);
    for (const event of events) {
      expect(Number.isInteger(event.time)).toBe(true);
      expect(schema[event.type as string]?.(event)).toBe(true);
    }
    expect(events.map((e) => e.type).filter((t) => t !== 'step-log')).toEqual([
      'step-started', 'step-miss', 'step-done',
      'step-started', 'step-miss', 'step-done',
      'step-started', 'step-miss', 'step-done',
    ]);
  });
});

describe('--secret env=VAR', () => {
  it('reaches RUN --mount=type=secret and no byte tsbuild wrote, nor the log', async () => {
    const secret = `env-secret-${Date.now()}`;
    const ctx = join(dir, 'secret');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=secret,id=api test "$(cat /run/secrets/api | wc -c)" -gt 10 && echo secret-was-there\n');
    const result = await run(['build', '--progress', 'rawjson', '--secret', 'id=api,env=API_TOKEN', ctx], { API_TOKEN: secret });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('secret-was-there');
    expect(result.stderr + result.stdout).not.toContain(secret);
    expect(execFileSync('sh', ['-c', `grep -rl --binary-files=text '${secret}' '${root}' /dev/shm || true`], { encoding: 'utf8' }).trim()).toBe('');
  });
});
