import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

import { TsbuildError } from '@tsbuild/errors';

const run = promisify(execFile);

export interface OverlayMount {
  /** Lower directories, newest first. Relative paths are resolved against `cwd`. */
  lowers: string[];
  upper: string;
  work: string;
  target: string;
  /**
   * Directory the mount command runs in. Giving lowers relative to it (short symlink ids, as
   * Docker's overlay2 `l/` dir) keeps deep chains under the one-page mount option limit.
   */
  cwd?: string;
}

/** Mounts overlayfs with the `mount` command. */
export async function mountOverlay(spec: OverlayMount): Promise<void> {
  if (spec.lowers.length === 0) throw new TsbuildError('OVERLAY_MOUNT_FAILED', `cannot mount ${spec.target}: overlay needs at least one lower directory`);
  const options = `lowerdir=${spec.lowers.join(':')},upperdir=${spec.upper},workdir=${spec.work}`;
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, spec.target], { cwd: spec.cwd });
  } catch (error) {
    throw new TsbuildError('OVERLAY_MOUNT_FAILED', `cannot mount overlay on ${spec.target}: ${commandError(error)}`, { cause: error });
  }
}

/** Unmounts `target`; a busy mount is detached lazily so cleanup never hangs. */
export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', [target]);
  } catch (error) {
    try {
      await run('umount', ['-l', target]);
    } catch {
      throw new TsbuildError('UNMOUNT_FAILED', `cannot unmount ${target}: ${commandError(error)}`, { cause: error });
    }
  }
}

/** Mount points at or under `dir` (from /proc/self/mountinfo), deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map(unescapeMountField)
    .filter((point) => point === dir || point.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** mountinfo escapes space, tab, newline and backslash as octal `\NNN`. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function commandError(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim();
  return stderr || (error as Error).message;
}
