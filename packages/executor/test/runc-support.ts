import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OutputStream, RunOptions } from '../src/runc/index.js';

/**
 * A busybox rootfs (bin/busybox with its applet symlinks, made by `busybox --install -s`) with
 * /etc/passwd and /etc/group: user `app` 1000:1000, also in supplementary group `extra` (2000).
 * Deliberately no /proc, /dev, /sys, /etc/hosts, /etc/resolv.conf or /etc/hostname.
 */
export function makeBusyboxRootfs(dir: string): string {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o1777 });
  copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n');
  return dir;
}

export interface Overlay {
  merged: string;
  upper: string;
  unmount(): void;
}

/** Mounts a fresh overlay (new upper and work dirs) over `lower`; `unmount` also removes the dirs. */
export function mountOverlay(lower: string): Overlay {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbuild-runc-ovl-'));
  const [upper, work, merged] = ['upper', 'work', 'merged'].map((name) => path.join(dir, name)) as [string, string, string];
  for (const sub of [upper, work, merged]) mkdirSync(sub);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
  return {
    merged,
    upper,
    unmount() {
      execFileSync('umount', [merged]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Host mount points (from /proc/self/mountinfo) below `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
}

/** Collects output lines per stream. */
export function outputCollector(): RunOptions & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    onOutput(line: string, stream: OutputStream) {
      (stream === 'stdout' ? stdout : stderr).push(line);
    },
  };
}

/** Containers `runc --root <stateDir> list` shows. */
export function runcList(stateDir: string): string[] {
  const out = execFileSync('runc', ['--root', stateDir, 'list', '--format', 'json'], { encoding: 'utf8' });
  return ((JSON.parse(out) as { id: string }[] | null) ?? []).map((container) => container.id);
}
