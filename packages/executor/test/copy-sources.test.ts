import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openContext } from '../src/copy/index.js';
import { copyFromContext, tempDir, thrown, writeTree, LOCATION } from './copy-support.js';

/** Every path below `root`, sorted, directories with a trailing slash. */
function listing(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const isDir = lstatSync(full).isDirectory();
      out.push(`${prefix}${name}${isDir ? '/' : ''}`);
      if (isDir) visit(full, `${prefix}${name}/`);
    }
  };
  visit(root, '');
  return out;
}

describe('COPY sources: globs', () => {
  const context = () =>
    writeTree(tempDir(), { 'a.txt': 'a', 'b.txt': 'b', '.hidden.txt': 'h', 'c.md': 'c', 'sub/d.txt': 'd', 'sub/e.js': 'e' });

  it('matches with Go filepath.Match semantics: * stays in one directory and matches dot files', async () => {
    const { destRoot } = await copyFromContext(context(), ['*.txt'], '/out/');
    expect(listing(path.join(destRoot, 'out'))).toEqual(['.hidden.txt', 'a.txt', 'b.txt']);
  });

  it('supports ? and [] classes, and wildcards in directory components', async () => {
    const { destRoot } = await copyFromContext(context(), ['[ab].tx?', 'su*/*.js'], '/out/');
    expect(listing(path.join(destRoot, 'out'))).toEqual(['a.txt', 'b.txt', 'e.js']);
  });

  it('fails with Docker\'s message when nothing matches at all', async () => {
    const error = await thrown(() => copyFromContext(context(), ['*.none'], '/out/'));
    expect(error.code).toBe('NO_SOURCE_FILES');
    expect(error.message).toBe('no source files were specified');
    expect(error.location?.line).toBe(7);
    const partly = await copyFromContext(context(), ['*.none', 'c.md'], '/out/');
    expect(listing(path.join(partly.destRoot, 'out'))).toEqual(['c.md']);
  });

  it('reports a missing literal source', async () => {
    const error = await thrown(() => copyFromContext(context(), ['missing.txt'], '/out/'));
    expect(error.code).toBe('SOURCE_NOT_FOUND');
    expect(error.message).toBe('COPY source "missing.txt" not found in the build context');
  });
});

describe('COPY sources: the build context and .dockerignore', () => {
  it('leaves out ignored files, and ! patterns bring files back', async () => {
    const ctx = writeTree(tempDir(), {
      '.dockerignore': '# comment\n*.log\n!keep.log\nsecret/\nbuild\n',
      'app.js': 'x',
      'debug.log': 'no',
      'keep.log': 'yes',
      'secret/key': 'no',
      'build/out.bin': 'no',
      'src/nested.log': 'nested logs are not matched by *.log',
    });
    const { destRoot } = await copyFromContext(ctx, ['.'], '/app/');
    expect(listing(path.join(destRoot, 'app'))).toEqual(['.dockerignore', 'app.js', 'keep.log', 'src/', 'src/nested.log']);
    const error = await thrown(() => copyFromContext(ctx, ['debug.log'], '/x'));
    expect(error.code).toBe('SOURCE_NOT_FOUND');
    expect(error.message).toBe('COPY source "debug.log" not found in the build context (excluded by .dockerignore)');
  });

  it('walks into an excluded directory when an exception may bring back something inside it', async () => {
    const ctx = writeTree(tempDir(), {
      '.dockerignore': 'docs\n!docs/keep.md\n',
      'docs/keep.md': 'k',
      'docs/drop.md': 'd',
      'docs/deep/x.md': 'x',
    });
    const { destRoot } = await copyFromContext(ctx, ['.'], '/app/');
    expect(listing(path.join(destRoot, 'app'))).toEqual(['.dockerignore', 'docs/', 'docs/keep.md']);
  });

  it('lets <Dockerfile>.dockerignore win over .dockerignore, and can exclude the Dockerfile itself', async () => {
    const ctx = writeTree(tempDir(), {
      '.dockerignore': 'a.txt\n',
      'build/app.Dockerfile': 'FROM scratch\n',
      'build/app.Dockerfile.dockerignore': 'b.txt\nbuild\n',
      'a.txt': 'a',
      'b.txt': 'b',
      'Dockerfile': 'FROM scratch\n',
    });
    const special = openContext(ctx, { dockerfilePath: path.join(ctx, 'build/app.Dockerfile') });
    expect(special.ignoreFile).toBe(path.join(ctx, 'build/app.Dockerfile.dockerignore'));
    expect(special.isExcluded('b.txt')).toBe(true);
    expect(special.isExcluded('a.txt')).toBe(false);
    expect(special.isExcluded('build/app.Dockerfile')).toBe(true);
    const plain = openContext(ctx);
    expect(plain.isExcluded('a.txt')).toBe(true);
    writeTree(ctx, { '.dockerignore': 'Dockerfile\n.dockerignore\n' });
    const error = await thrown(() => copyFromContext(ctx, ['Dockerfile'], '/x'));
    expect(error.code).toBe('SOURCE_NOT_FOUND');
  });

  it('refuses sources outside the context with the code and the Dockerfile line', async () => {
    const parent = tempDir();
    const ctx = writeTree(path.join(parent, 'ctx'), { 'a.txt': 'a' });
    writeTree(parent, { 'x': 'outside' });
    for (const source of ['../x', 'sub/../../x', '/../x']) {
      const error = await thrown(() => copyFromContext(ctx, [source], '/x'));
      expect(error.code).toBe('SOURCE_OUTSIDE_CONTEXT');
      expect(error.message).toBe(`forbidden path outside the build context: ${source}`);
      expect(error.location).toEqual(LOCATION);
    }
    // An absolute source path is relative to the context root, as in Docker.
    const { destRoot } = await copyFromContext(ctx, ['/a.txt'], '/y');
    expect(readFileSync(path.join(destRoot, 'y'), 'utf8')).toBe('a');
  });
});

describe('COPY flags', () => {
  it('--exclude leaves out wildcard matches and paths inside copied directories', async () => {
    const ctx = writeTree(tempDir(), { 'src/a.js': 'a', 'src/a.test.js': 't', 'src/lib/b.test.js': 't', 'src/README.md': 'r', 'top.md': 'm', 'top.js': 'j' });
    const { destRoot } = await copyFromContext(ctx, ['src', 'top.*'], '/app/', { exclude: ['**/*.test.js', '*.md', '!README.md'] });
    expect(listing(path.join(destRoot, 'app'))).toEqual(['README.md', 'a.js', 'lib/', 'top.js']);
  });

  it('--parents keeps the source path, or the part below a /./ pivot', async () => {
    const ctx = writeTree(tempDir(), { 'a/b/c.txt': 'c', 'x/y.txt': 'y', 'p/q/r/s.txt': 's', 'g/1/f.txt': '1', 'g/2/f.txt': '2' });
    const { destRoot } = await copyFromContext(ctx, ['a/b/c.txt', 'x/y.txt', 'p/./q/r', 'g/*/f.txt'], '/dst/', { parents: true });
    expect(listing(path.join(destRoot, 'dst'))).toEqual([
      'a/', 'a/b/', 'a/b/c.txt', 'g/', 'g/1/', 'g/1/f.txt', 'g/2/', 'g/2/f.txt', 'q/', 'q/r/', 'q/r/s.txt', 'x/', 'x/y.txt',
    ]);
  });

  it('writes heredoc sources as files with mode 0644', async () => {
    const ctx = tempDir();
    const heredocs = [{ name: 'EOT', content: 'hello\nworld\n', expand: true, chomp: false }];
    const { destRoot } = await copyFromContext(ctx, ['<<EOT'], '/etc/motd', { heredocs });
    expect(readFileSync(path.join(destRoot, 'etc/motd'), 'utf8')).toBe('hello\nworld\n');
    expect(statSync(path.join(destRoot, 'etc/motd')).mode & 0o7777).toBe(0o644);
    const intoDir = await copyFromContext(ctx, ['<<EOT'], '/scripts/', { heredocs });
    expect(readFileSync(path.join(intoDir.destRoot, 'scripts/EOT'), 'utf8')).toBe('hello\nworld\n');
  });

  it('--chown resolves names from the DESTINATION root\'s /etc/passwd and /etc/group', async () => {
    const ctx = writeTree(tempDir(), { 'f.txt': 'f', 'd/g.txt': 'g' });
    const destRoot = writeTree(tempDir(), {
      'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ntsbuilder:x:1001:1002::/home/tsbuilder:/bin/sh\n',
      'etc/group': 'root:x:0:\ntsstaff:x:50:\n',
    });
    const ids = (p: string) => [statSync(path.join(destRoot, p)).uid, statSync(path.join(destRoot, p)).gid];
    await copyFromContext(ctx, ['f.txt'], '/by-name', { chown: 'tsbuilder' }, { destRoot });
    expect(ids('by-name')).toEqual([1001, 1001]);
    await copyFromContext(ctx, ['f.txt'], '/by-name-group', { chown: 'tsbuilder:tsstaff' }, { destRoot });
    expect(ids('by-name-group')).toEqual([1001, 50]);
    await copyFromContext(ctx, ['d'], '/new/deep/', { chown: '12:34' }, { destRoot });
    expect(ids('new/deep/g.txt')).toEqual([12, 34]);
    // BuildKit's MkdirAll gives the directories it creates the --chown owner too.
    expect(ids('new')).toEqual([12, 34]);
    const error = await thrown(() => copyFromContext(ctx, ['f.txt'], '/x', { chown: 'nobody-here' }, { destRoot }));
    expect(error.code).toBe('CHOWN_USER_NOT_FOUND');
    expect(error.message).toBe('unable to find user nobody-here: no matching entries in passwd file');
  });

  it('--chmod sets octal modes on files and directories, and applies symbolic modes per entry', async () => {
    const ctx = writeTree(tempDir(), { 'd/plain': 'p', 'd/tool': 't', 'd/sub/x': 'x' });
    chmodSync(path.join(ctx, 'd/plain'), 0o600);
    chmodSync(path.join(ctx, 'd/tool'), 0o700);
    chmodSync(path.join(ctx, 'd/sub'), 0o700);
    const octal = await copyFromContext(ctx, ['d'], '/o/', { chmod: '751' });
    const modeIn = (root: string, p: string) => statSync(path.join(root, p)).mode & 0o7777;
    expect([modeIn(octal.destRoot, 'o/plain'), modeIn(octal.destRoot, 'o/sub')]).toEqual([0o751, 0o751]);
    // Directories the copy creates take the --chmod mode too (BuildKit, fsutil#228).
    expect(modeIn(octal.destRoot, 'o')).toBe(0o751);
    const symbolic = await copyFromContext(ctx, ['d'], '/s/', { chmod: 'u=rwX,go=rX' });
    expect(modeIn(symbolic.destRoot, 's/plain')).toBe(0o644);
    expect(modeIn(symbolic.destRoot, 's/tool')).toBe(0o755);
    expect(modeIn(symbolic.destRoot, 's/sub')).toBe(0o755);
    const error = await thrown(() => copyFromContext(ctx, ['d'], '/e/', { chmod: 'rwx' }));
    expect(error.code).toBe('CHMOD_INVALID');
  });

  it('--link gives the same result', async () => {
    const ctx = writeTree(tempDir(), { 'a.txt': 'a' });
    const { destRoot } = await copyFromContext(ctx, ['a.txt'], '/l/', { link: true });
    expect(existsSync(path.join(destRoot, 'l/a.txt'))).toBe(true);
  });
});
