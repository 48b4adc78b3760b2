import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '@tsbuild/snapshot';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';

// Contexts at the sizes users hit: many files, and one file far larger than memory would allow
// if it were not streamed. Run through the CLI under GNU time, which reports the peak RSS.
const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');
const GiB = 1024 ** 3;
let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'tsbuild-large-context-'));
  const root = join(base, 'root');
  await storeBusybox(root);
  env = { ...process.env, TSBUILD_ROOT: root, CI: 'true' };
});

afterAll(() => {
  expect(mountsUnder(base)).toEqual([]);
  rmSync(base, { recursive: true, force: true });
});

interface Measured {
  status: number;
  stdout: string;
  stderr: string;
  peakRssMiB: number;
}

/** Runs the CLI under `/usr/bin/time -f %M`, which appends the peak RSS (KiB) to stderr. */
function tsbuildMeasured(args: string[]): Promise<Measured> {
  return new Promise((resolve) => {
    execFile('/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args], { env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const lines = stderr.trimEnd().split('\n');
      const peakKiB = Number(lines.pop());
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr: lines.join('\n'), peakRssMiB: peakKiB / 1024 });
    });
  });
}

function context(name: string, dockerfile: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

describe('a context of 100,000 files', () => {
  it('is copied whole, and a rebuild finds every step cached', async () => {
    const dir = context('many', 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | wc -l > /count && cat /ctx/d99/f99999\n');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = d * 1000; f < (d + 1) * 1000; f++) writeFileSync(join(dir, `d${d}`, `f${f}`), `file ${f}\n`);
    }
    const first = await tsbuildMeasured(['build', '-t', 'many-files', '--progress', 'plain', dir]);
    expect(first.stderr).toMatch(/#\d+ [\d.]+ file 99999\n/);
    expect(first.status).toBe(0);
    const count = execFileSync(process.execPath, [cli, 'run', '--rm', 'many-files', 'cat', '/count'], { env, encoding: 'utf8' });
    expect(count.trim()).toBe('100001'); // the files and the Dockerfile

    const again = await tsbuildMeasured(['build', '-t', 'many-files', '--progress', 'plain', dir]);
    expect(again.status).toBe(0);
    expect(again.stderr.match(/CACHED/g)).toHaveLength(2);
    expect(again.stdout).toBe(first.stdout);
  }, 240_000);
});

describe('a 4 GiB sparse file in the context', () => {
  it('is copied through streams: the image holds every byte, and memory stays flat', async () => {
    const dir = context('sparse', 'FROM busybox\nCOPY big.img /big.img\n');
    const file = join(dir, 'big.img');
    const fd = openSync(file, 'w');
    writeSync(fd, 'head');
    writeSync(fd, 'tail', 4 * GiB - 4);
    closeSync(fd);

    const built = await tsbuildMeasured(['build', '-q', '-t', 'sparse-file', dir]);
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    expect(built.peakRssMiB).toBeLessThan(300);
    const ends = execFileSync(process.execPath, [cli, 'run', '--rm', 'sparse-file', 'sh', '-c', 'stat -c %s /big.img; head -c 4 /big.img; tail -c 4 /big.img'], { env, encoding: 'utf8' });
    expect(ends.trimEnd()).toBe(`${4 * GiB}\nheadtail`);
    const check = await tsbuildMeasured(['check']);
    expect([check.status, check.stdout]).toEqual([0, expect.stringMatching(/all good\n$/)]);
    rmSync(file);
  }, 240_000);
});
