import fc from 'fast-check';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';

import { addEntry, type Header } from '../src/pack-entry.js';

async function bytesOf(write: (pack: tar.Pack) => Promise<void>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const read = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  await write(pack);
  pack.finalize();
  await read;
  return Buffer.concat(chunks);
}

function viaEntry(pack: tar.Pack, header: Header, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (header.type === 'file') pack.entry({ ...header } as tar.Header, body, done);
    else pack.entry({ ...header } as tar.Header, done);
  });
}

const names = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,40}$/),
  fc.array(fc.stringMatching(/^[a-z0-9]{1,30}$/), { minLength: 4, maxLength: 12 }).map((parts) => parts.join('/')),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\0')),
);

const entries = fc.record({
  name: names,
  type: fc.constantFrom('file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo') as fc.Arbitrary<Header['type']>,
  mode: fc.constantFrom(0, 0o644, 0o755, 0o4755, 0o1777, 0o600),
  uid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000_000 })),
  gid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70_000 })),
  mtime: fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000)),
  linkname: names,
  devmajor: fc.integer({ min: 0, max: 255 }),
  devminor: fc.integer({ min: 0, max: 255 }),
  body: fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
});

describe('addEntry', () => {
  it('writes the bytes pack.entry writes, for every kind of entry, long and unicode names included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entries, { minLength: 1, maxLength: 8 }), async (list) => {
        const make = (e: (typeof list)[number]): Header => {
          const header: Header = { name: e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, uname: '', gname: '' };
          if (e.type === 'symlink' || e.type === 'link') header.linkname = e.linkname;
          if (e.type === 'character-device' || e.type === 'block-device') Object.assign(header, { devmajor: e.devmajor, devminor: e.devminor });
          return header;
        };
        const expected = await bytesOf(async (pack) => {
          for (const e of list) await viaEntry(pack, make(e), e.type === 'file' ? e.body : Buffer.alloc(0));
        });
        const actual = await bytesOf(async (pack) => {
          for (const e of list) await addEntry(pack, make(e), e.type === 'file' ? e.body : Buffer.alloc(0));
        });
        expect(actual.equals(expected)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('waits for a slow reader instead of buffering the whole archive', async () => {
    const pack = tar.pack({ highWaterMark: 64 * 1024 });
    let widest = 0;
    const reading = (async () => {
      for await (const _ of pack) await new Promise((resolve) => setTimeout(resolve, 1));
    })();
    for (let i = 0; i < 400; i++) {
      await addEntry(pack, { name: `f${i}`, type: 'file', mode: 0o644, mtime: new Date(0) }, Buffer.alloc(4096, i));
      widest = Math.max(widest, (pack as unknown as { _readableState: { buffered: number } })._readableState.buffered);
    }
    pack.finalize();
    await reading;
    expect(widest).toBeLessThan(64 * 1024 + 4096 + 1024);
  });
});
