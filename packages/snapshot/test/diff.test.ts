import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, readdirSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { applyLayer, diffUpperdir, mountOverlay, mountsUnder, unmount, writeLayer } from '@tsbuild/snapshot';
import { ContentStore } from '@tsbuild/oci';
import { getXattr, setXattr } from '../src/xattr.js';
import { collect, describeTree, listTar } from './helpers.js';

const BINARY = Buffer.from([0xff, 0x80, 0x00, 0xc3, 0x0a]); // not UTF-8
const CAPABILITY = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_bind_service

let base: string;
let lower: string;
let upper: string;

/** Real filesystem operations in a real overlay mount; the upperdir is what a RUN leaves. */
beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'tsbuild-diff-'));
  lower = path.join(base, 'lower');
  upper = path.join(base, 'upper');
  const work = path.join(base, 'work');
  const merged = path.join(base, 'merged');
  for (const dir of [lower, upper, work, merged]) mkdirSync(dir);
  mkdirSync(path.join(lower, 'd'));
  writeFileSync(path.join(lower, 'd', 'old'), 'old');
  writeFileSync(path.join(lower, 'gone'), 'bye');
  writeFileSync(path.join(lower, 'kept'), 'kept');
  mkdirSync(path.join(lower, 'etc'));
  await mountOverlay({ lowers: [lower], upper, work, target: merged });
  try {
    rmSync(path.join(merged, 'gone'));
    rmSync(path.join(merged, 'd'), { recursive: true });
    mkdirSync(path.join(merged, 'd'));
    writeFileSync(path.join(merged, 'd', 'new'), 'new');
    writeFileSync(path.join(merged, 'h1'), 'linked');
    linkSync(path.join(merged, 'h1'), path.join(merged, 'h2'));
    writeFileSync(path.join(merged, 'suid'), '#!/bin/sh\n');
    chownSync(path.join(merged, 'suid'), 1000, 1001);
    chmodSync(path.join(merged, 'suid'), 0o4755);
    symlinkSync('kept', path.join(merged, 'link'));
    execFileSync('mkfifo', [path.join(merged, 'fifo')]);
    execFileSync('mknod', ['-m', '0666', path.join(merged, 'null'), 'c', '1', '3']);
    writeFileSync(path.join(merged, 'ping'), 'binary');
    setXattr(path.join(merged, 'ping'), 'security.capability', CAPABILITY);
    setXattr(path.join(merged, 'ping'), 'user.note', 'hello');
    setXattr(path.join(merged, 'ping'), 'user.binary', BINARY);
    writeFileSync(path.join(merged, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(path.join(merged, 'etc', 'app.conf'), 'x=1\n');
  } finally {
    await unmount(merged);
  }
});

afterAll(async () => {
  expect(mountsUnder(base)).toEqual([]);
  rmSync(base, { recursive: true, force: true });
});

describe('diffUpperdir', () => {
  it('writes exact entries: whiteouts, opaque dirs, hardlinks, setuid, symlinks, fifos, xattrs', async () => {
    const { stream, done } = diffUpperdir(upper, { exclude: new Set(['/etc/hosts']) });
    const [entries] = await Promise.all([listTar(stream), done]);
    const brief = entries.map(({ name, type, mode, uid, gid, linkname, xattrs }) => ({ name, type, mode, uid, gid, linkname, xattrs }));
    // Entries follow the on-disk names in byte order (a whiteout sits where its file was).
    expect(brief).toEqual([
      { name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'd/.wh..wh..opq', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'd/new', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'etc/app.conf', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'fifo', type: 'fifo', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: '.wh.gone', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'h1', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'h2', type: 'link', mode: 0o644, uid: 0, gid: 0, linkname: 'h1', xattrs: undefined },
      { name: 'link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'kept', xattrs: undefined },
      { name: 'null', type: 'character-device', mode: 0o666, uid: 0, gid: 0, linkname: undefined, xattrs: undefined },
      { name: 'ping', type: 'file', mode: 0o644, uid: 0, gid: 0, linkname: undefined, xattrs: ['security.capability', 'user.binary', 'user.note'] },
      { name: 'suid', type: 'file', mode: 0o4755, uid: 1000, gid: 1001, linkname: undefined, xattrs: undefined },
    ]);
  });

  it('keeps xattr values byte for byte (GNU tar reads them back)', async () => {
    const store = new ContentStore(path.join(base, 'store'));
    const layer = await writeLayer(upper, store);
    const out = path.join(base, 'gnu-out');
    mkdirSync(out);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', store.blobPath(layer.diffId), '-C', out, 'ping']);
    expect(getXattr(path.join(out, 'ping'), 'security.capability')?.toString('hex')).toBe(CAPABILITY.toString('hex'));
    expect(getXattr(path.join(out, 'ping'), 'user.note')?.toString()).toBe('hello');
    expect(getXattr(path.join(out, 'ping'), 'user.binary')?.toString('hex')).toBe(BINARY.toString('hex'));
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH and is deterministic', async () => {
    const first = diffUpperdir(upper, { sourceDateEpoch: 1000 });
    const [bytes] = await Promise.all([collect(first.stream), first.done]);
    const second = diffUpperdir(upper, { sourceDateEpoch: 1000 });
    const [again] = await Promise.all([collect(second.stream), second.done]);
    expect(Buffer.compare(bytes, again)).toBe(0);
    const entries = await listTar([bytes]);
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([1000]));
  });

  it('reads files without changing their access time (relatime would set it on a first read)', async () => {
    const dir = path.join(base, 'atime');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'small'), 'small file');
    writeFileSync(path.join(dir, 'large'), Buffer.alloc(1024 * 1024, 'x')); // read as a stream
    // atime before mtime: exactly when relatime updates atime on the next read
    for (const name of ['small', 'large']) utimesSync(path.join(dir, name), 1_000_000, 2_000_000);
    const store = new ContentStore(path.join(base, 'atime-store'));
    const layer = await writeLayer(dir, store);
    expect((await listTar([await store.readBytes(layer.diffId)])).map((e) => e.name)).toEqual(['large', 'small']);
    for (const name of ['small', 'large']) expect(lstatSync(path.join(dir, name)).atimeMs).toBe(1_000_000_000);
  });

  it('round trips: the diff applied onto a copy of the lower gives the merged tree', async () => {
    const copy = path.join(base, 'copy');
    execFileSync('cp', ['-a', lower, copy]);
    const { stream, done } = diffUpperdir(upper);
    const [applied] = await Promise.all([applyLayer(stream, copy), done]);
    expect(applied.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const view = path.join(base, 'view');
    mkdirSync(view);
    // a read-only overlay of the upper on the lower (no upperdir) shows the merged result
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, view]);
    try {
      expect(describeTree(copy)).toEqual(describeTree(view));
      expect(lstatSync(path.join(copy, 'suid')).mode & 0o7777).toBe(0o4755);
      expect(readdirSync(path.join(copy, 'd'))).toEqual(['new']);
      expect(getXattr(path.join(copy, 'ping'), 'security.capability')?.toString('hex')).toBe(CAPABILITY.toString('hex'));
      expect(getXattr(path.join(copy, 'ping'), 'user.note')?.toString()).toBe('hello');
      expect(getXattr(path.join(copy, 'ping'), 'user.binary')?.toString('hex')).toBe(BINARY.toString('hex'));
    } finally {
      await unmount(view);
    }
  });
});
