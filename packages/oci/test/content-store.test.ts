import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, sha256Digest } from '@tsbuild/oci';

let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-cs-'));
  store = new ContentStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const blobsDir = () => join(root, 'content', 'blobs', 'sha256');
const listDir = async (dir: string) => readdir(dir).catch(() => [] as string[]);

/** A stream of `count` chunks of `size` bytes each, so writes really stream. */
function chunked(count: number, size: number, fill = 0x61): Readable {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < count ? Buffer.alloc(size, fill) : null);
    },
  });
}

describe('ContentStore', () => {
  it('round-trips a blob written from a stream and reads it back verified', async () => {
    const expectedBytes = Buffer.alloc(64 * 1024 * 5, 0x61);
    const digest = sha256Digest(expectedBytes);
    const info = await store.write(chunked(5, 64 * 1024), { digest, size: expectedBytes.length });
    expect(info).toEqual({ digest, size: expectedBytes.length });
    expect(await listDir(blobsDir())).toEqual([digest.slice(7)]);
    expect(await listDir(join(root, 'content', 'ingest'))).toEqual([]);
    expect(await store.has(digest)).toBe(true);
    expect(await store.size(digest)).toBe(expectedBytes.length);
    expect((await store.readBytes(digest)).equals(expectedBytes)).toBe(true);
    expect(await text(store.createReadStream(digest))).toBe(expectedBytes.toString());
    const listed = [];
    for await (const blob of store.list()) listed.push(blob);
    expect(listed).toEqual([{ digest, size: expectedBytes.length }]);
  });

  it('stores bytes and JSON without an expected digest and computes it', async () => {
    const json = JSON.stringify({ hello: 'world' });
    const info = await store.write(Buffer.from(json));
    expect(info.digest).toBe(sha256Digest(json));
    expect(await store.readJson(info.digest)).toEqual({ hello: 'world' });
  });

  it('leaves nothing under blobs/ on a digest mismatch', async () => {
    const wrong = sha256Digest('something else');
    await expect(store.write(Buffer.from('hello'), { digest: wrong })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await listDir(blobsDir())).toEqual([]);
    expect(await listDir(join(root, 'content', 'ingest'))).toEqual([]);
  });

  it('leaves nothing under blobs/ on a size mismatch, short or long', async () => {
    const bytes = Buffer.from('hello');
    const digest = sha256Digest(bytes);
    await expect(store.write(bytes, { digest, size: 4 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(store.write(bytes, { digest, size: 6 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(store.write(chunked(100, 1024), { size: 2048 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(await listDir(blobsDir())).toEqual([]);
    expect(await listDir(join(root, 'content', 'ingest'))).toEqual([]);
  });

  it('leaves nothing under blobs/ when the source fails midway', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    }
    await expect(store.write(failing())).rejects.toMatchObject({ code: 'BLOB_SOURCE_FAILED', message: 'reading blob failed: connection reset' });
    expect(await listDir(blobsDir())).toEqual([]);
    expect(await listDir(join(root, 'content', 'ingest'))).toEqual([]);
  });

  it('gives one correct file when 8 writers store the same blob at once', async () => {
    const count = 64;
    const size = 16 * 1024;
    const digest = sha256Digest(Buffer.alloc(count * size, 0x62));
    const results = await Promise.all(Array.from({ length: 8 }, () => store.write(chunked(count, size, 0x62), { digest })));
    for (const result of results) expect(result).toEqual({ digest, size: count * size });
    expect(await listDir(blobsDir())).toEqual([digest.slice(7)]);
    expect(sha256Digest(await readFile(join(blobsDir(), digest.slice(7))))).toBe(digest);
    expect(await listDir(join(root, 'content', 'ingest'))).toEqual([]);
  });

  it('drains the source and returns the stored blob when it is already present', async () => {
    const digest = sha256Digest('present');
    await store.write(Buffer.from('present'));
    const source = chunked(10, 100);
    expect(await store.write(source, { digest })).toEqual({ digest, size: 7 });
    expect(source.readableEnded).toBe(true);
  });

  it('refuses to read a blob corrupted on disk', async () => {
    const { digest } = await store.write(Buffer.from('original content'));
    await writeFile(join(blobsDir(), digest.slice(7)), 'tampered content');
    await expect(store.readBytes(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(store.readJson(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(text(store.createReadStream(digest))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('reports a missing blob as BLOB_NOT_FOUND, and rejects malformed digests', async () => {
    const missing = sha256Digest('missing');
    await expect(store.readBytes(missing)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    await expect(text(store.createReadStream(missing))).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    expect(await store.has(missing)).toBe(false);
    expect(await store.size(missing)).toBeUndefined();
    await expect(store.has('sha256:xyz')).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
    await expect(text(store.createReadStream('md5:00'))).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
  });

  it('deletes blobs', async () => {
    const { digest } = await store.write(Buffer.from('x'));
    await store.delete(digest);
    await store.delete(digest);
    expect(await store.has(digest)).toBe(false);
  });
});

describe('ContentStore.cleanIngest', () => {
  it('removes temp files left by interrupted writes, keeping recent ones', async () => {
    const { mkdir, utimes } = await import('node:fs/promises');
    const ingest = join(root, 'content', 'ingest');
    await mkdir(ingest, { recursive: true });
    await writeFile(join(ingest, 'old'), 'half a layer');
    await writeFile(join(ingest, 'recent'), 'in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await utimes(join(ingest, 'old'), twoHoursAgo, twoHoursAgo);
    expect(await store.cleanIngest()).toBe(1);
    expect(await listDir(ingest)).toEqual(['recent']);
  });
});
