import { chownSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyInto } from '../src/copy/index.js';
import { copyFromContext, copySpec, tempDir, thrown, writeTree, LOCATION } from './copy-support.js';

const modeOf = (p: string) => lstatSync(p).mode & 0o7777;

describe('COPY destination rules', () => {
  it('puts a file into a directory when the destination ends with /', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'alpha' });
    const { destRoot, result } = await copyFromContext(ctx, ['a.txt'], '/app/');
    expect(readFileSync(path.join(destRoot, 'app/a.txt'), 'utf8')).toBe('alpha');
    expect(result.written).toEqual(['/app/a.txt']);
  });

  it('renames a file when the destination has no trailing slash and does not exist', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'alpha' });
    const { destRoot } = await copyFromContext(ctx, ['a.txt'], '/app/renamed.txt');
    expect(readFileSync(path.join(destRoot, 'app/renamed.txt'), 'utf8')).toBe('alpha');
    const plain = await copyFromContext(ctx, ['a.txt'], '/app');
    expect(statSync(path.join(plain.destRoot, 'app')).isFile()).toBe(true);
  });

  it('puts a file into an existing directory even without a trailing slash', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'alpha' });
    const destRoot = writeTree(tempDir(), { 'app/old': 'x' });
    await copyFromContext(ctx, ['a.txt'], '/app', {}, { destRoot });
    expect(readFileSync(path.join(destRoot, 'app/a.txt'), 'utf8')).toBe('alpha');
  });

  it('copies a directory source as its contents, creating the destination 0755', async () => {
    const ctx = writeTree(tempDir(), { 'src/one.txt': '1', 'src/sub/two.txt': '2' });
    const { destRoot } = await copyFromContext(ctx, ['src'], '/dst');
    expect(readdirSync(path.join(destRoot, 'dst')).sort()).toEqual(['one.txt', 'sub']);
    expect(readFileSync(path.join(destRoot, 'dst/sub/two.txt'), 'utf8')).toBe('2');
    expect(modeOf(path.join(destRoot, 'dst'))).toBe(0o755);
  });

  it('resolves a relative destination against WORKDIR', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'alpha' });
    const { destRoot } = await copyFromContext(ctx, ['a.txt'], 'conf/', {}, { workdir: '/srv/app' });
    expect(readFileSync(path.join(destRoot, 'srv/app/conf/a.txt'), 'utf8')).toBe('alpha');
    const dot = await copyFromContext(ctx, ['a.txt'], '.', {}, { workdir: '/w' });
    expect(readFileSync(path.join(dot.destRoot, 'w/a.txt'), 'utf8')).toBe('alpha');
  });

  it('refuses several sources into a destination without a trailing slash, as Docker says', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'a', 'b.txt': 'b' });
    const error = await thrown(() => copyFromContext(ctx, ['a.txt', 'b.txt'], '/dst'));
    expect(error.code).toBe('COPY_DEST_NOT_DIRECTORY');
    expect(error.message).toBe('When using COPY with more than one source file, the destination must be a directory and end with a /');
    expect(error.location?.line).toBe(7);
    const glob = await thrown(() => copyFromContext(ctx, ['*.txt'], '/dst'));
    expect(glob.message).toBe('When using COPY with more than one source file, the destination must be a directory and end with a /');
    const ok = await copyFromContext(ctx, ['a.txt', 'b.txt'], '/dst/');
    expect(readdirSync(path.join(ok.destRoot, 'dst')).sort()).toEqual(['a.txt', 'b.txt']);
  });

  it('preserves mtimes, sets context files to root:root, keeps owners of --from sources', async () => {
    const ctx = writeTree(tempDir(), { 'dir/f.txt': 'f' });
    chownSync(path.join(ctx, 'dir/f.txt'), 1234, 4321);
    utimesSync(path.join(ctx, 'dir/f.txt'), 1_000_000, 1_000_000);
    utimesSync(path.join(ctx, 'dir'), 2_000_000, 2_000_000);
    const { destRoot } = await copyFromContext(ctx, ['dir'], '/out/');
    const copied = statSync(path.join(destRoot, 'out/f.txt'));
    expect(copied.mtimeMs).toBe(1_000_000_000);
    // The destination directory keeps mode 0755 but takes the source directory's times (fsutil).
    expect(statSync(path.join(destRoot, 'out')).mtimeMs).toBe(2_000_000_000);
    expect(statSync(path.join(destRoot, 'out')).mode & 0o7777).toBe(0o755);
    expect([copied.uid, copied.gid]).toEqual([0, 0]);
    const fromStage = tempDir('tsbuild-dest-');
    await copyInto({ instruction: copySpec(['dir'], '/out/'), source: { kind: 'root', root: ctx }, destRoot: fromStage });
    const kept = statSync(path.join(fromStage, 'out/f.txt'));
    expect([kept.uid, kept.gid]).toEqual([1234, 4321]);
  });

  it('keeps hardlinks inside a copied tree as hardlinks', async () => {
    const ctx = writeTree(tempDir(), { 'd/first': 'same' });
    linkSync(path.join(ctx, 'd/first'), path.join(ctx, 'd/second'));
    const { destRoot } = await copyFromContext(ctx, ['d'], '/d/');
    expect(statSync(path.join(destRoot, 'd/first')).ino).toBe(statSync(path.join(destRoot, 'd/second')).ino);
    expect(statSync(path.join(destRoot, 'd/first')).nlink).toBe(2);
  });

  it('copies symlinks as symlinks, never following them, even when they point outside', async () => {
    const ctx = writeTree(tempDir(), {
      'tree/target.txt': 't',
      'tree/rel': { link: 'target.txt' },
      'tree/abs': { link: '/etc/passwd' },
      'tree/up': { link: '../../../outside' },
    });
    const { destRoot } = await copyFromContext(ctx, ['tree'], '/t/');
    expect(readlinkSync(path.join(destRoot, 't/rel'))).toBe('target.txt');
    expect(readlinkSync(path.join(destRoot, 't/abs'))).toBe('/etc/passwd');
    expect(readlinkSync(path.join(destRoot, 't/up'))).toBe('../../../outside');
    expect(lstatSync(path.join(destRoot, 't/abs')).isSymbolicLink()).toBe(true);
  });

  it('follows a top-level symlink source only inside the context root', async () => {
    const ctx = writeTree(tempDir(), { 'real/file.txt': 'inside', 'alias': { link: 'real/file.txt' }, 'escape': { link: '/etc/hostname' } });
    const { destRoot } = await copyFromContext(ctx, ['alias'], '/x');
    expect(lstatSync(path.join(destRoot, 'x')).isFile()).toBe(true);
    expect(readFileSync(path.join(destRoot, 'x'), 'utf8')).toBe('inside');
    // /etc/hostname is looked up inside the context, where it does not exist.
    const error = await thrown(() => copyFromContext(ctx, ['escape'], '/y'));
    expect(error.code).toBe('SOURCE_NOT_FOUND');
  });

  it('never writes through symlinks of the destination root to the host', async () => {
    const hostTarget = tempDir('tsbuild-host-');
    writeFileSync(path.join(hostTarget, 'precious'), 'keep me');
    const ctx = writeTree(tempDir(), { 'precious': 'copied', 'other.txt': 'o' });
    const destRoot = tempDir('tsbuild-dest-');
    mkdirSync(path.join(destRoot, 'inside'));
    symlinkSync(hostTarget, path.join(destRoot, 'app')); // absolute: means <root>/<hostTarget> inside the image
    symlinkSync(path.join(hostTarget, 'precious'), path.join(destRoot, 'inside/precious'));
    await copyFromContext(ctx, ['precious', 'other.txt'], '/app/', {}, { destRoot });
    await copyFromContext(ctx, ['precious'], '/inside/', {}, { destRoot });
    expect(readFileSync(path.join(hostTarget, 'precious'), 'utf8')).toBe('keep me');
    expect(existsSync(path.join(hostTarget, 'other.txt'))).toBe(false);
    expect(readFileSync(path.join(destRoot, hostTarget, 'other.txt'), 'utf8')).toBe('o');
    expect(lstatSync(path.join(destRoot, 'inside/precious')).isFile()).toBe(true);
  });

  it('replaces a file or a symlink at a file\'s target, but never a directory', async () => {
    const ctx = writeTree(tempDir(), { 'app/a.txt': 'new a', 'app/b.txt': 'new b', 'app/c.txt': 'new c' });
    const destRoot = writeTree(tempDir(), { 'app/a.txt': 'old a', 'elsewhere': 'kept' });
    symlinkSync('../elsewhere', path.join(destRoot, 'app/b.txt'));
    await copyFromContext(ctx, ['app/a.txt', 'app/b.txt'], '/app/', {}, { destRoot });
    expect(readFileSync(path.join(destRoot, 'app/a.txt'), 'utf8')).toBe('new a');
    expect(lstatSync(path.join(destRoot, 'app/b.txt')).isFile()).toBe(true);
    expect(readFileSync(path.join(destRoot, 'app/b.txt'), 'utf8')).toBe('new b');
    expect(readFileSync(path.join(destRoot, 'elsewhere'), 'utf8')).toBe('kept');
    mkdirSync(path.join(destRoot, 'app/c.txt'));
    const error = await thrown(() => copyFromContext(ctx, ['app/c.txt'], '/app/', {}, { destRoot }));
    expect(error.code).toBe('COPY_DEST_IS_DIRECTORY');
    expect(error.location).toEqual(LOCATION);
  });

  it('puts the location on every error, including file system ones', async () => {
    const ctx = writeTree(tempDir(), { 'dir/a': 'a' });
    const destRoot = writeTree(tempDir(), { 'blocked': 'a file' });
    const error = await thrown(() => copyFromContext(ctx, ['dir'], '/blocked', {}, { destRoot }));
    expect(error.code).toBe('COPY_DEST_NOT_DIRECTORY');
    expect(error.location).toEqual(LOCATION);
  });
});
