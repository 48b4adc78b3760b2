import { Readable } from 'node:stream';
import { gunzipStream } from '@tsbuild/oci';
import { throughCommand } from './command-stream.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The tar inside `input`: gzip (zlib) and zstd (the `zstd` command) recognised by magic bytes. */
export async function decompressedTar(input: AsyncIterable<Uint8Array>, what: string): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  const buffered: Uint8Array[] = [];
  while (head.length < 4) {
    const next = await iterator.next();
    if (next.done) break;
    buffered.push(next.value);
    head = Buffer.concat([head, next.value]);
  }
  async function* replay(): AsyncIterable<Uint8Array> {
    yield* buffered;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  if (startsWith(head, GZIP_MAGIC)) return forwardErrors(raw, raw.pipe(gunzipStream()));
  if (startsWith(head, ZSTD_MAGIC)) return zstdDecompress(raw, what);
  return raw;
}

function startsWith(head: Buffer, magic: number[]): boolean {
  return magic.every((byte, i) => head[i] === byte);
}

function forwardErrors(source: Readable, output: Readable): Readable {
  source.on('error', (error) => output.destroy(error));
  return output;
}

function zstdDecompress(raw: Readable, what: string): Readable {
  return throughCommand(raw, { command: 'zstd', args: ['-d', '-c', '-q'], doing: `decompressing ${what}` });
}
