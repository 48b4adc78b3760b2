import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, checkRoot } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { RegistryClient } from '@tsbuild/registry';
import { mountsUnder } from '@tsbuild/snapshot';

import { storeBusybox } from './support/busybox.js';

// $TSBUILD_ROOT on a small tmpfs: a build that fills it fails with a clear error, leaves no
// corrupt entry, and the next build succeeds once there is room again.
let base: string;
let root: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'tsbuild-full-disk-'));
  root = join(base, 'root');
  mkdirSync(root);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', root]);
  await storeBusybox(root);
});

afterAll(() => {
  for (const point of mountsUnder(base)) execFileSync('umount', ['-l', point]);
  rmSync(base, { recursive: true, force: true });
});

function buildIn(dockerfile: string) {
  const context = join(base, 'context');
  mkdirSync(context, { recursive: true });
  return build({ root, contextDir: context, dockerfile, dockerfilePath: join(context, 'Dockerfile'), file: 'Dockerfile', registry: new RegistryClient({ root }) });
}

describe('a full disk', () => {
  it('fails with a one-line error, keeps the store consistent, and the next build works after space is freed', async () => {
    // 5 MiB fits the upper dir; its layer tar (another 5 MiB) does not fit beside it.
    const dockerfile = 'FROM busybox\nRUN head -c 5000000 /dev/urandom > /big\n';
    let failure: unknown;
    try {
      await buildIn(dockerfile);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(TsbuildError);
    const error = failure as TsbuildError;
    expect(error.oneLine()).toMatch(/^Dockerfile:2: .*(no space left on device|ENOSPC)/i);
    expect(error.oneLine()).not.toContain('\n');
    expect(mountsUnder(join(root, 'work'))).toEqual([]);
    expect((await checkRoot(root)).problems).toEqual([]);

    execFileSync('mount', ['-o', 'remount,size=64m', root]);
    const result = await buildIn(dockerfile);
    expect(result.executedSteps).toBe(1);
    expect((await checkRoot(root)).problems).toEqual([]);
  });
});
