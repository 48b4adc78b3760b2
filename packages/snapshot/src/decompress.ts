import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { gunzipStream } from '@tsbuild/oci';


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
  if (startsWith(head, GZIP_MAGIC)) return forwardErrors(raw, raw.pipe(gunzipStream()), what);
  if (startsWith(head, ZSTD_MAGIC)) return zstdDecompress(raw, what);
  return raw;
}

function startsWith(head: Buffer, magic: number[]): boolean {
  return magic.every((byte, i) => head[i] === byte);
}

function forwardErrors(source: Readable, output: Readable, _what: string): Readable {
  source.on('error', (error) => output.destroy(error));
  return output;
}

function zstdDecompress(raw: Readable, what: string): Readable {
  const child = spawn('zstd', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  raw.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  const output = child.stdout;
  child.on('close', (code) => {
    if (code !== 0) output.destroy(new Error(`zstd exited with ${code}: ${stderr.trim()}`));
  });
  return forwardErrors(raw, output, what);
}
