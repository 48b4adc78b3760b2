import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tar from 'tar-stream';
import { deviceMajor, deviceMinor } from '@tsbuild/snapshot';
import { copyFromContext, tempDir, thrown, writeTree } from './copy-support.js';

/** A context holding `payload/` packed by the system tar with each compression, under neutral names. */
function archiveContext(): string {
  const ctx = tempDir();
  const work = writeTree(tempDir(), { 'payload/bin/tool': '#!/bin/sh\necho hi\n', 'payload/etc/conf': 'key=value\n' });
  chmodSync(path.join(work, 'payload/bin/tool'), 0o750);
  symlinkSync('../bin/tool', path.join(work, 'payload/etc/tool-link'));
  for (const [flag, name] of [['-czf', 'gzip.bin'], ['-cjf', 'bzip2.tar.bz2'], ['-cJf', 'xz.tar.xz'], ['-cf', 'plain.archive']]) {
    execFileSync('tar', ['--owner=1234', '--group=5678', '--numeric-owner', flag as string, path.join(ctx, name as string), '-C', work, 'payload']);
  }
  writeFileSync(path.join(work, 'notes.txt'), 'not a tar\n');
  execFileSync('gzip', ['-k', path.join(work, 'notes.txt')]);
  execFileSync('cp', [path.join(work, 'notes.txt.gz'), path.join(ctx, 'notes.txt.gz')]);
  return ctx;
}

describe('ADD of local archives', () => {
  it('extracts gzip, bzip2, xz and plain tars, detected by content not by name', async () => {
    const ctx = archiveContext();
    for (const name of ['gzip.bin', 'bzip2.tar.bz2', 'xz.tar.xz', 'plain.archive']) {
      const { destRoot } = await copyFromContext(ctx, [name], '/opt/', { kind: 'ADD' });
      const root = path.join(destRoot, 'opt/payload');
      expect(readFileSync(path.join(root, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
      expect(statSync(path.join(root, 'bin/tool')).mode & 0o7777).toBe(0o750);
      // Owners come from the archive, as Docker's untar keeps them.
      expect([statSync(path.join(root, 'bin/tool')).uid, statSync(path.join(root, 'bin/tool')).gid]).toEqual([1234, 5678]);
      expect(readFileSync(path.join(root, 'etc/conf'), 'utf8')).toBe('key=value\n');
      expect(readlinkSync(path.join(root, 'etc/tool-link'))).toBe('../bin/tool');
    }
  });

  it('copies a compressed file that is not a tar as it is, and COPY never extracts', async () => {
    const ctx = archiveContext();
    const add = await copyFromContext(ctx, ['notes.txt.gz'], '/n/', { kind: 'ADD' });
    expect(readFileSync(path.join(add.destRoot, 'n/notes.txt.gz')).equals(readFileSync(path.join(ctx, 'notes.txt.gz')))).toBe(true);
    const copy = await copyFromContext(ctx, ['gzip.bin'], '/c/');
    expect(readdirSync(path.join(copy.destRoot, 'c'))).toEqual(['gzip.bin']);
  });

  it('refuses archive members that climb out of the destination and never follows archive symlinks out', async () => {
    const ctx = tempDir();
    const escapeTar = await packTar([
      { header: { name: 'link', type: 'symlink', linkname: '/' } },
      { header: { name: 'link/etc/evil', type: 'file', mode: 0o644 }, body: 'through the link' },
    ]);
    writeFileSync(path.join(ctx, 'escape.tar'), escapeTar);
    const { destRoot } = await copyFromContext(ctx, ['escape.tar'], '/x/', { kind: 'ADD' });
    // `link -> /` is the destination directory's root here, as in a chrooted untar.
    expect(readFileSync(path.join(destRoot, 'x/etc/evil'), 'utf8')).toBe('through the link');
    writeFileSync(path.join(ctx, 'dotdot.tar'), await packTar([{ header: { name: '../../evil', type: 'file' }, body: 'x' }]));
    const error = await thrown(() => copyFromContext(ctx, ['dotdot.tar'], '/y/', { kind: 'ADD' }));
    expect(error.code).toBe('UNSAFE_LAYER_ENTRY'); // refused by the snapshot package's applyLayer
    expect(error.location?.line).toBe(7);
  });
});

describe('ADD of archives holding device nodes, fifos and deletion marks', () => {
  it('makes device and fifo nodes with their numbers, owners and modes, never opening them', async () => {
    const ctx = tempDir();
    writeFileSync(
      path.join(ctx, 'devices.tar'),
      await packTar([
        { header: { name: 'dev/', type: 'directory', mode: 0o755 } },
        { header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 } },
        { header: { name: 'dev/loop7', type: 'block-device', devmajor: 7, devminor: 7, mode: 0o660, uid: 0, gid: 6 } },
        { header: { name: 'dev/pipe', type: 'fifo', mode: 0o620, uid: 1000, gid: 1000 } },
      ]),
    );
    const { destRoot } = await copyFromContext(ctx, ['devices.tar'], '/', { kind: 'ADD' });
    const nul = lstatSync(path.join(destRoot, 'dev/null'));
    expect([nul.isCharacterDevice(), deviceMajor(nul.rdev), deviceMinor(nul.rdev), nul.mode & 0o7777]).toEqual([true, 1, 3, 0o666]);
    const loop = lstatSync(path.join(destRoot, 'dev/loop7'));
    expect([loop.isBlockDevice(), deviceMajor(loop.rdev), deviceMinor(loop.rdev), loop.gid, loop.mode & 0o7777]).toEqual([true, 7, 7, 6, 0o660]);
    const pipe = lstatSync(path.join(destRoot, 'dev/pipe'));
    expect([pipe.isFIFO(), pipe.uid, pipe.mode & 0o7777]).toEqual([true, 1000, 0o620]);
  });

  it('refuses whiteout names and character devices 0/0, which a layer would turn into deletions', async () => {
    const ctx = tempDir();
    writeFileSync(path.join(ctx, 'wh.tar'), await packTar([{ header: { name: 'etc/.wh.passwd', type: 'file' }, body: '' }]));
    writeFileSync(path.join(ctx, 'mark.tar'), await packTar([{ header: { name: 'bin', type: 'character-device', devmajor: 0, devminor: 0 } }]));
    const whiteout = await thrown(() => copyFromContext(ctx, ['wh.tar'], '/', { kind: 'ADD' }));
    expect(whiteout).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry 'etc/.wh.passwd' of wh.tar: it has a name image layers reserve for deletions ('.wh.')" });
    expect(whiteout.location?.line).toBe(7);
    const mark = await thrown(() => copyFromContext(ctx, ['mark.tar'], '/', { kind: 'ADD' }));
    expect(mark).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry 'bin' of mark.tar: it is a character device 0/0, which overlayfs takes for a deletion" });
  });
});

describe('COPY of device and fifo nodes', () => {
  it('makes them anew with the same numbers, as fsutil does, and skips sockets', async () => {
    const ctx = tempDir();
    execFileSync('mknod', [path.join(ctx, 'zero'), 'c', '1', '5']);
    execFileSync('mknod', [path.join(ctx, 'fifo'), 'p']);
    chmodSync(path.join(ctx, 'fifo'), 0o640);
    const { destRoot } = await copyFromContext(ctx, ['.'], '/nodes/');
    const zero = lstatSync(path.join(destRoot, 'nodes/zero'));
    expect([zero.isCharacterDevice(), deviceMajor(zero.rdev), deviceMinor(zero.rdev)]).toEqual([true, 1, 5]);
    const fifo = lstatSync(path.join(destRoot, 'nodes/fifo'));
    expect([fifo.isFIFO(), fifo.mode & 0o7777]).toEqual([true, 0o640]);
  });
});

describe('ADD of URLs', () => {
  let server: Server;
  let base: string;
  const body = Buffer.from('downloaded bytes\n');
  const lastModified = new Date('2021-06-01T12:00:00Z');
  let tarGz: Buffer;

  beforeAll(async () => {
    const ctx = archiveContext();
    tarGz = readFileSync(path.join(ctx, 'gzip.bin'));
    server = createServer((request, response) => {
      if (request.url === '/files/tool.sh') {
        response.writeHead(200, { 'last-modified': lastModified.toUTCString(), 'content-type': 'text/plain' });
        response.end(body);
      } else if (request.url === '/files/bundle.tar.gz') {
        response.writeHead(200);
        response.end(tarGz);
      } else {
        response.writeHead(404);
        response.end('no');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

  it('downloads into the directory under the URL file name, mode 0600, mtime from Last-Modified', async () => {
    const { destRoot } = await copyFromContext(tempDir(), [`${base}/files/tool.sh`], '/usr/local/bin/', { kind: 'ADD', checksum: sha256(body) });
    const file = path.join(destRoot, 'usr/local/bin/tool.sh');
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(statSync(file).mtimeMs).toBe(lastModified.getTime());
    expect(readdirSync(path.dirname(file))).toEqual(['tool.sh']);
  });

  it('refuses a wrong checksum, leaving nothing behind', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const error = await thrown(() => copyFromContext(tempDir(), [`${base}/files/tool.sh`], '/dl/', { kind: 'ADD', checksum: wrong }));
    expect(error.code).toBe('ADD_CHECKSUM_MISMATCH');
    expect(error.message).toBe(`checksum mismatch for ${base}/files/tool.sh: expected ${wrong}, got ${sha256(body)}`);
    expect(error.location?.line).toBe(7);
  });

  it('does not extract a downloaded archive, honours --chmod, and reports HTTP errors', async () => {
    const { destRoot } = await copyFromContext(tempDir(), [`${base}/files/bundle.tar.gz`], '/b/', { kind: 'ADD', chmod: '644' });
    const file = path.join(destRoot, 'b/bundle.tar.gz');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(file).equals(tarGz)).toBe(true);
    expect(statSync(file).mode & 0o7777).toBe(0o644);
    const missing = await thrown(() => copyFromContext(tempDir(), [`${base}/files/none`], '/m/', { kind: 'ADD' }));
    expect(missing.code).toBe('ADD_DOWNLOAD_FAILED');
    expect(missing.message).toBe(`failed to download ${base}/files/none: HTTP 404 Not Found`);
    const copyUrl = await thrown(() => copyFromContext(tempDir(), [`${base}/files/tool.sh`], '/m/'));
    expect(copyUrl.code).toBe('COPY_URL_SOURCE');
    const checksum = `sha256:${'a'.repeat(64)}`;
    const ctx = writeTree(tempDir(), { 'local.txt': 'l' });
    const misuse = [
      [{ kind: 'COPY' as const, checksum }, [`${base}/files/tool.sh`], "checksum can't be specified for COPY"],
      [{ kind: 'ADD' as const, checksum }, ['local.txt'], "checksum can't be specified for non-HTTP(S) sources"],
      [{ kind: 'ADD' as const, checksum }, [`${base}/files/tool.sh`, 'local.txt'], "checksum can't be specified for multiple sources"],
    ] as const;
    for (const [extra, sources, message] of misuse) {
      const error = await thrown(() => copyFromContext(ctx, [...sources], '/m/', extra));
      expect([error.code, error.message]).toEqual(['ADD_CHECKSUM_NOT_ALLOWED', message]);
    }
  });
});

async function packTar(entries: Array<{ header: tar.Header | Partial<tar.Header> & { name: string }; body?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const { header, body } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
