import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { joinedChunks, teeTo } from '../src/tee.js';

async function* numbered(count: number, onRead?: (index: number) => void): AsyncIterable<Buffer> {
  for (let i = 0; i < count; i++) {
    onRead?.(i);
    yield Buffer.from(`chunk ${i};`);
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => `chunk ${i};`).join('');

describe('teeTo', () => {
  it('hands the consumer every chunk in order and ends only once the consumer has settled', async () => {
    let seen = '';
    let settled = false;
    const read = await collect(
      teeTo(numbered(50), async (chunks) => {
        seen = await collect(chunks);
        await sleep(20);
        settled = true;
      }),
    );
    expect(read).toBe(expected(50));
    expect(seen).toBe(expected(50));
    expect(settled).toBe(true);
  });

  it('drops a consumer that fails or stops reading, and the source goes on alone', async () => {
    const failing = await collect(
      teeTo(numbered(40), async (chunks) => {
        for await (const _ of chunks) throw new Error('upload refused');
      }),
    );
    expect(failing).toBe(expected(40));
    const leaving = await collect(
      teeTo(numbered(40), async (chunks) => {
        for await (const _ of chunks) break;
      }),
    );
    expect(leaving).toBe(expected(40));
    // One that never reads at all and fails later: the source waits, then goes on.
    const late = await collect(teeTo(numbered(40), () => sleep(30).then(() => Promise.reject(new Error('no upload')))));
    expect(late).toBe(expected(40));
  });

  it('keeps a slow consumer at most 16 chunks behind, and joins small chunks for it', async () => {
    let read = 0;
    let consumed = 0;
    let widest = 0;
    async function* large(): AsyncIterable<Buffer> {
      for (let i = 0; i < 100; i++) {
        read += 1;
        yield Buffer.alloc(64 * 1024, i);
      }
    }
    await collect(
      teeTo(large(), async (chunks) => {
        for await (const _ of chunks) {
          consumed += 1;
          widest = Math.max(widest, read - consumed);
          await sleep(1);
        }
      }),
    );
    expect(consumed).toBe(100);
    expect(widest).toBeGreaterThan(4);
    expect(widest).toBeLessThanOrEqual(17);

    const sizes: number[] = [];
    await collect(
      teeTo(numbered(20_000), async (chunks) => {
        for await (const chunk of chunks) sizes.push(chunk.byteLength);
      }),
    );
    expect(sizes.slice(0, -1).every((size) => size >= 64 * 1024)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(expected(20_000).length);
  });

  it("ends the consumer's stream with an error when the source fails or its reader stops early", async () => {
    async function* failing(): AsyncIterable<Buffer> {
      yield Buffer.from('a');
      throw new Error('disk full');
    }
    let consumerError: unknown;
    const consumer = async (chunks: AsyncIterable<Buffer>) => {
      try {
        await collect(chunks);
      } catch (error) {
        consumerError = error;
      }
    };
    await expect(collect(teeTo(failing(), consumer))).rejects.toThrow('disk full');
    await sleep(5);
    expect(String(consumerError)).toContain('ended early');

    consumerError = undefined;
    for await (const _ of teeTo(numbered(10), consumer)) break;
    await sleep(5);
    expect(String(consumerError)).toContain('ended early');
  });
});

describe('joinedChunks', () => {
  it('joins small chunks into pieces of at least 64 KiB, passes a large chunk as it is, and keeps every byte in order', async () => {
    const large = Buffer.alloc(200 * 1024, 7);
    async function* mixed(): AsyncIterable<Buffer> {
      yield* numbered(10_000);
      yield large;
      yield Buffer.from('tail');
    }
    const pieces: Buffer[] = [];
    for await (const piece of joinedChunks(mixed())) pieces.push(piece);
    expect(Buffer.concat(pieces).equals(Buffer.concat([Buffer.from(expected(10_000)), large, Buffer.from('tail')]))).toBe(true);
    // The small chunks gathered before the large one go on first (shorter); the large one is not copied.
    const at = pieces.indexOf(large);
    expect(at).toBe(pieces.length - 2);
    expect(pieces.slice(0, at - 1).every((piece) => piece.byteLength >= 64 * 1024)).toBe(true);
    expect(pieces[at - 1]!.byteLength).toBeLessThan(64 * 1024);
    expect(pieces.at(-1)?.toString()).toBe('tail');
  });
});
