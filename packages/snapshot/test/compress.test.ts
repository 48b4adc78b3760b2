import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { readdir } from 'node:fs/promises';
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

describe('writeLayer with compress', () => {
  it('stores the compressed blob made from the tar as it passed, the same bytes compressLayer makes, even when its passenger fails', async () => {
    const upper = path.join(base, 'upper-fused');
    mkdirSync(path.join(upper, 'data'), { recursive: true });
    writeFileSync(path.join(upper, 'data', 'noise'), randomBytes(2 * 1024 * 1024 + 5).toString('base64'));
    for (let i = 0; i < 300; i++) writeFileSync(path.join(upper, 'data', `f${i}`), `file ${i}\n`);
    const fusedStore = new ContentStore(path.join(base, 'root-fused'));
    let passenger = 0;
    const layer = await writeLayer(upper, fusedStore, {
      compress: {
        level: 5,
        alsoTo: async (chunks) => {
          for await (const chunk of chunks) {
            passenger += chunk.byteLength;
            if (passenger > 100_000) throw new Error('upload refused');
          }
        },
      },
    });
    const record = JSON.parse(readFileSync(path.join(base, 'root-fused', 'compressed', `${layer.diffId.slice(7)}.gzip-5.json`), 'utf8'));
    const fused = readFileSync(fusedStore.blobPath(record.digest));
    expect(fused.byteLength).toBe(record.size);
    expect(Buffer.compare(gunzipSync(fused), readFileSync(fusedStore.blobPath(layer.diffId)))).toBe(0);

    const laterStore = new ContentStore(path.join(base, 'root-later'));
    expect((await writeLayer(upper, laterStore)).diffId).toBe(layer.diffId);
    expect(await compressLayer(laterStore, layer.diffId, { level: 5 })).toEqual(record);
  });
});

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

  it('makes a zstd blob (on request) that zstd -d turns back into the layer tar, remembered apart from the gzip one', async () => {
    const upper = path.join(base, 'zstd-upper');
    mkdirSync(upper, { recursive: true });
    writeFileSync(path.join(upper, 'text'), 'zstd me\n'.repeat(500_000));
    writeFileSync(path.join(upper, 'random'), randomBytes(1024 * 1024));
    const store = new ContentStore(path.join(base, 'zstd-root'));
    const layer = await writeLayer(upper, store);
    const gzip = await compressLayer(store, layer.diffId);
    const zstd = await compressLayer(store, layer.diffId, { algorithm: 'zstd' });
    expect(zstd.digest).not.toBe(gzip.digest);
    const blob = readFileSync(store.blobPath(zstd.digest));
    expect([...blob.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(blob.byteLength).toBe(zstd.size);
    expect(zstd.size).toBeLessThan(gzip.size);
    const tarBytes = execFileSync('zstd', ['-d', '-c', '-q', store.blobPath(zstd.digest)], { maxBuffer: 1 << 26 });
    expect(Buffer.compare(tarBytes, readFileSync(store.blobPath(layer.diffId)))).toBe(0);
    expect(await readdir(path.join(store.root, 'compressed'))).toEqual(
      expect.arrayContaining([`${layer.diffId.slice(7)}.gzip-4.json`, `${layer.diffId.slice(7)}.zstd-3.json`]),
    );
    await store.delete(layer.diffId);
    expect(await compressLayer(store, layer.diffId, { algorithm: 'zstd', level: 3 })).toEqual(zstd);
  });

  it('is as small as gzip -6 on data without repeats (coded by Huffman alone) and on blocks that mix it with text', async () => {
    const upper = path.join(base, 'mixed-upper');
    mkdirSync(upper, { recursive: true });
    writeFileSync(path.join(upper, 'random.b64'), randomBytes(6 * 1024 * 1024).toString('base64'));
    // each MiB: 768 KiB of base64 noise, then 256 KiB of repeated text the samples mostly miss
    const mixed = Array.from({ length: 4 }, () => Buffer.concat([Buffer.from(randomBytes(576 * 1024).toString('base64')), Buffer.from('log line 42 ok\n'.repeat(17476))]));
    writeFileSync(path.join(upper, 'mixed'), Buffer.concat(mixed));
    const store = new ContentStore(path.join(base, 'mixed-root'));
    const layer = await writeLayer(upper, store);
    const blob = await compressLayer(store, layer.diffId, { level: 6 });
    const tarBytes = readFileSync(store.blobPath(layer.diffId));
    expect(Buffer.compare(gunzipSync(readFileSync(store.blobPath(blob.digest))), tarBytes)).toBe(0);
    const gnu = execFileSync('gzip', ['-6', '-c', store.blobPath(layer.diffId)], { maxBuffer: 1 << 26 }).byteLength;
    expect(blob.size).toBeLessThan(gnu * 1.01);
  });

  it('names a missing layer', async () => {
    const store = new ContentStore(path.join(base, 'empty'));
    await expect(compressLayer(store, `sha256:${'a'.repeat(64)}`)).rejects.toMatchObject({ code: 'LAYER_NOT_FOUND' });
  });
});
