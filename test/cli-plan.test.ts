import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsbuild } from './support/cli.js';

const contexts: string[] = [];
afterAll(() => {
  for (const dir of contexts) rmSync(dir, { recursive: true, force: true });
});

function contextWith(dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-plan-'));
  contexts.push(dir);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

describe('tsbuild plan', () => {
  it('prints the plan of examples/hello', () => {
    const r = tsbuild(['plan', 'examples/hello']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^examples\/hello\/Dockerfile: 1 stage\(s\) for target 0, platform linux\/\w+$/);
    expect(lines).toContain('stage 0: FROM busybox');
    expect(lines).toContain('  0/1    line 2    WORKDIR /app');
    expect(lines).toContain('  0/2    line 3    COPY hello.sh /app/hello.sh');
  });

  it('prints the JSON plan the executor consumes', () => {
    const r = tsbuild(['plan', '--format', 'json', '--build-arg', 'V=2', '-f', 'examples/hello/Dockerfile', 'examples/hello']);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.version).toBe(1);
    expect(plan.buildArgs).toEqual({ V: '2' });
    expect(plan.stages[0].steps[0]).toMatchObject({
      id: '0/1',
      location: { file: 'examples/hello/Dockerfile', line: 2 },
      instruction: { kind: 'WORKDIR', path: '/app' },
      state: { workdir: '/', user: '' },
    });
    expect(r.stderr).toBe('warning: examples/hello/Dockerfile:1: build-arg "V" was not consumed by any ARG of the stages built\n');
  });

  it('reads the Dockerfile from stdin with -f -', () => {
    const r = tsbuild(['plan', '-f', '-', '.'], { input: 'FROM scratch\nCOPY a /a\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  0/1    line 2    COPY a /a');
  });

  it('reports a bad instruction as one located line, exit 1, no stack', () => {
    const dir = contextWith('FROM busybox\nRUNN echo hi\n');
    const r = tsbuild(['plan', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*Dockerfile:2: unknown instruction: RUNN/);
  });

  it('reports a missing --target and a missing Dockerfile', () => {
    const dir = contextWith('FROM busybox AS a\n');
    const target = tsbuild(['plan', '--target', 'b', dir]);
    expect(target.status).toBe(2);
    expect(target.stderr).toMatch(/^error: target stage "b" could not be found in .*Dockerfile\n$/);
    const missing = tsbuild(['plan', '/nonexistent-context']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('error: build context "/nonexistent-context" is not a directory\n');
  });

  it('rejects unknown flags as usage errors', () => {
    const r = tsbuild(['plan', '--nope', '.']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: plan: Unknown option '--nope'.*See 'tsbuild plan --help'.\n$/);
  });

  it('has help with examples', () => {
    const r = tsbuild(['plan', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:\n  tsbuild plan examples/hello');
  });
});
