import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { applyLayer } from '@tsbuild/snapshot';
import { makeTar } from './helpers.js';

let base: string;
let target: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'tsbuild-apply-'));
  target = path.join(base, 'root');
  mkdirSync(target);
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

async function refusal(tarBytes: Buffer): Promise<unknown> {
  return applyLayer(tarBytes, target, { name: 'evil.tar' }).then(
    () => 'applied',
    (error: unknown) => error,
  );
}

describe('applyLayer', () => {
  it('applies a gzip layer and returns the sha256 of the uncompressed tar', async () => {
    const plain = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', body: 'hi\n', mode: 0o600 }]);
    const applied = await applyLayer(gzipSync(plain), target);
    expect(applied).toEqual({ diffId: `sha256:${createHash('sha256').update(plain).digest('hex')}`, size: plain.byteLength });
    expect(readFileSync(path.join(target, 'etc/motd'), 'utf8')).toBe('hi\n');
    expect(lstatSync(path.join(target, 'etc/motd')).mode & 0o7777).toBe(0o600);
  });

  it('applies a zstd layer', async () => {
    const plain = await makeTar([{ name: 'a', body: 'zstd' }]);
    const compressed = execFileSync('zstd', ['-c'], { input: plain });
    await applyLayer(compressed, target);
    expect(readFileSync(path.join(target, 'a'), 'utf8')).toBe('zstd');
  });

  it('deletes with .wh.NAME and empties opaque directories of lower content only', async () => {
    mkdirSync(path.join(target, 'd'));
    writeFileSync(path.join(target, 'd', 'lower'), 'x');
    writeFileSync(path.join(target, 'gone'), 'x');
    const layer = await makeTar([
      { name: 'd/', type: 'directory' },
      { name: 'd/mine', body: 'new' },
      { name: 'd/.wh..wh..opq' },
      { name: '.wh.gone' },
    ]);
    await applyLayer(layer, target);
    expect(existsSync(path.join(target, 'gone'))).toBe(false);
    expect(existsSync(path.join(target, 'd', 'lower'))).toBe(false);
    expect(readFileSync(path.join(target, 'd', 'mine'), 'utf8')).toBe('new');
  });

  it('refuses names climbing out with ..', async () => {
    const error = await refusal(await makeTar([{ name: '../x', body: 'escape' }]));
    expect(error).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry '../x' of evil.tar: it climbs out of the layer with '..'" });
    expect(existsSync(path.join(base, 'x'))).toBe(false);
  });

  it('refuses absolute names', async () => {
    const error = await refusal(await makeTar([{ name: '/abs', body: 'x' }]));
    expect(error).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry '/abs' of evil.tar: it has an absolute name" });
  });

  it('refuses a write through a symlink that leads outside', async () => {
    const error = await refusal(await makeTar([{ name: 'link', type: 'symlink', linkname: '../..' }, { name: 'link/pwned', body: 'x' }]));
    expect(error).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry 'link/pwned' of evil.tar: it would be written outside the layer through a symlink" });
    expect(existsSync(path.join(path.dirname(base), 'pwned'))).toBe(false);
  });

  it('resolves absolute symlinks inside the root, as in the container', async () => {
    await applyLayer(await makeTar([{ name: 'tmp', type: 'symlink', linkname: '/real' }, { name: 'tmp/file', body: 'inside' }]), target);
    expect(readFileSync(path.join(target, 'real', 'file'), 'utf8')).toBe('inside');
  });

  it('refuses a hardlink to outside', async () => {
    const error = await refusal(await makeTar([{ name: 'passwd', type: 'link', linkname: '../../../etc/passwd' }]));
    expect(error).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry '../../../etc/passwd' of evil.tar: it climbs out of the layer with '..'" });
    const viaSymlink = await refusal(await makeTar([{ name: 'up', type: 'symlink', linkname: '../../..' }, { name: 'passwd', type: 'link', linkname: 'up/etc/passwd' }]));
    expect(viaSymlink).toMatchObject({ code: 'UNSAFE_LAYER_ENTRY', message: "refusing entry 'passwd' of evil.tar: it would be written outside the layer through a symlink" });
  });

  it('names the entry when the filesystem refuses it, and a truncated layer', async () => {
    writeFileSync(path.join(target, 'file'), 'x');
    const error = await refusal(await makeTar([{ name: 'file/inner', body: 'x' }]));
    expect(error).toMatchObject({ code: 'LAYER_APPLY_FAILED' });
    expect((error as Error).message).toContain(`cannot apply evil.tar to ${target} at entry 'file/inner': `);
    const whole = gzipSync(await makeTar([{ name: 'big', body: 'y'.repeat(100_000) }]));
    const truncated = await refusal(whole.subarray(0, whole.byteLength - 100));
    expect(truncated).toMatchObject({ code: 'LAYER_APPLY_FAILED' });
  });

  it('replaces a symlink entry instead of writing through it', async () => {
    const outside = path.join(base, 'outside');
    writeFileSync(outside, 'original');
    await applyLayer(await makeTar([{ name: 'f', type: 'symlink', linkname: outside }, { name: 'f', body: 'replaced' }]), target);
    expect(readFileSync(outside, 'utf8')).toBe('original');
    expect(readFileSync(path.join(target, 'f'), 'utf8')).toBe('replaced');
  });
});
