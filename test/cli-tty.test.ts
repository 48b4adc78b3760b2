import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storeBusybox } from './support/busybox.js';
import { repoRoot } from './support/paths.js';

// The live view, driven in a real terminal: tmux runs the CLI in a 100x30 pseudo-terminal and
// capture-pane gives back what the screen shows once the build is over.
let dir: string;
const session = `tsbuild-tty-${process.pid}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-tty-'));
  await storeBusybox(join(dir, 'root'));
  await mkdir(join(dir, 'ctx'));
  await writeFile(join(dir, 'ctx', 'Dockerfile'), 'FROM busybox\nRUN echo first-step-output\nRUN for i in 1 2 3; do echo line-$i; done\nCMD ["sh"]\n');
});

afterAll(async () => {
  spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  await rm(dir, { recursive: true, force: true });
});

async function screenAfter(command: string): Promise<string> {
  const cli = join(repoRoot, 'packages/cli/bin/tsbuild.js');
  const shell = `env -u CI TSBUILD_ROOT=${join(dir, 'root')} ${process.execPath} ${cli} ${command}; echo "EXIT=$?"; sleep 60`;
  spawnSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', shell]);
  for (let i = 0; i < 300; i++) {
    const screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    if (screen.includes('EXIT=')) return screen;
    await sleep(100);
  }
  throw new Error('the build did not finish in the terminal');
}

describe('the TTY progress view', () => {
  it('redraws in place: one line per step with its time, then CACHED on a rebuild', async () => {
    const first = await screenAfter(`build --progress auto ${join(dir, 'ctx')}`);
    const lines = first.split('\n');
    expect(lines[0]).toMatch(/^\[\+\] Building \d+\.\ds$/);
    expect(lines.filter((l) => l.includes('[2/4] RUN echo first-step-output'))).toHaveLength(1);
    expect(first).toMatch(/ => \[2\/4\] RUN echo first-step-output\s+\d+\.\ds\n/);
    expect(first).toMatch(/ => \[3\/4\] RUN for i in 1 2 3; do echo line-\$i; done\s+\d+\.\ds\n/);
    expect(first).toContain('EXIT=0');
    // Finished steps do not keep their output on screen, and no line is drawn twice.
    expect(first).not.toContain('line-2');
    expect(lines.every((l) => l.length <= 100)).toBe(true);

    const again = await screenAfter(`build --progress tty ${join(dir, 'ctx')}`);
    expect(again).toMatch(/ => \[2\/4\] RUN echo first-step-output\s+CACHED\n/);
    expect(again).toMatch(/ => \[3\/4\] RUN for i in 1 2 3; do echo line-\$i; done\s+CACHED\n/);
  });
});
