import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ContentStore } from '@tsbuild/oci';
import { compressLayer, writeLayer } from '@tsbuild/snapshot';

let base: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'tsbuild-gzip-'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('compressLayer', () => {
  it('makes a gzip blob that gzip -t and tar -tz accept and that decompresses to the layer tar, once', async () => {
    const upper = path.join(base, 'upper');
    mkdirSync(path.join(upper, 'bin'), { recursive: true });
    writeFileSync(path.join(upper, 'bin', 'random'), randomBytes(3 * 1024 * 1024 + 17));
    writeFileSync(path.join(upper, 'bin', 'text'), 'hello\n'.repeat(300_000));
    const store = new ContentStore(path.join(base, 'root'));
    const layer = await writeLayer(upper, store);
    const blob = await compressLayer(store, layer.diffId, { level: 6 });
    expect(blob.digest).not.toBe(layer.diffId);
    const compressed = readFileSync(store.blobPath(blob.digest));
    expect(compressed.byteLength).toBe(blob.size);
    expect(Buffer.compare(gunzipSync(compressed), readFileSync(store.blobPath(layer.diffId)))).toBe(0);
    execFileSync('gzip', ['-t', store.blobPath(blob.digest)]);
    expect(execFileSync('tar', ['-tzf', store.blobPath(blob.digest)], { encoding: 'utf8' })).toBe('bin/\nbin/random\nbin/text\n');

    // remembered: with the tar gone, a second call can only answer from the record
    await store.delete(layer.diffId);
    expect(await compressLayer(store, layer.diffId, { level: 6 })).toEqual(blob);
  });

  it('keeps a sparse file sparse in the stored tar, and its gzip (zero blocks worked out once) checks out', async () => {
    const upper = path.join(base, 'sparse-upper');
    mkdirSync(upper, { recursive: true });
    const file = path.join(upper, 'db');
    const data = randomBytes(200_000);
    // data, 40 MiB of hole, data, 9.5 MiB of hole: full zero blocks, zero windows and a partial zero tail
    execFileSync('sh', ['-c', `truncate -s ${60 * 1024 * 1024} '${file}'`]);
    const fd = openSync(file, 'r+');
    writeSync(fd, data, 0, data.length, 1000);
    writeSync(fd, data, 0, data.length, 50 * 1024 * 1024 + 333);
    closeSync(fd);
    const store = new ContentStore(path.join(base, 'sparse-root'));
    const layer = await writeLayer(upper, store);
    const stored = statSync(store.blobPath(layer.diffId));
    expect(stored.size).toBeGreaterThan(60 * 1024 * 1024);
    expect(stored.blocks * 512).toBeLessThan(8 * 1024 * 1024);
    const blob = await compressLayer(store, layer.diffId, { level: 6 });
    execFileSync('gzip', ['-t', store.blobPath(blob.digest)]);
    const tarBytes = readFileSync(store.blobPath(layer.diffId));
    expect(Buffer.compare(gunzipSync(readFileSync(store.blobPath(blob.digest))), tarBytes)).toBe(0);
    execFileSync('sh', ['-c', `mkdir -p '${base}/sparse-out' && tar -xzf '${store.blobPath(blob.digest)}' -C '${base}/sparse-out'`]);
    expect(Buffer.compare(readFileSync(path.join(base, 'sparse-out/db')), readFileSync(file))).toBe(0);
  });

  it('names a missing layer', async () => {
    const store = new ContentStore(path.join(base, 'empty'));
    await expect(compressLayer(store, `sha256:${'a'.repeat(64)}`)).rejects.toMatchObject({ code: 'LAYER_NOT_FOUND' });
  });
});
