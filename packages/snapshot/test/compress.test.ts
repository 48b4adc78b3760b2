import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('names a missing layer', async () => {
    const store = new ContentStore(path.join(base, 'empty'));
    await expect(compressLayer(store, `sha256:${'a'.repeat(64)}`)).rejects.toMatchObject({ code: 'LAYER_NOT_FOUND' });
  });
});
