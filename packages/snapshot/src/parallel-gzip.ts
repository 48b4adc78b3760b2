import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw) as (input: Buffer, options: { level: number; dictionary?: Buffer; finishFlush: number }) => Promise<Buffer>;

const BLOCK_BYTES = 1024 * 1024;
const WINDOW_BYTES = 32 * 1024;
/** gzip member header: deflate, no flags, mtime 0, no extra flags, OS unix (as GNU gzip -n). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
/** An empty final fixed-Huffman deflate block: ends the stream after sync-flushed blocks. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * gzip of `source` as ONE member, made as pigz does: 1 MiB blocks deflated independently (each
 * primed with the previous block's last 32 KiB, so the ratio stays close to plain gzip) on
 * zlib's thread pool, joined in order; the CRC is computed on the way in. Memory holds only
 * the blocks in flight.
 */
export async function* parallelGzip(source: AsyncIterable<Uint8Array>, level: number): AsyncIterable<Buffer> {
  const inFlight: Array<Promise<Buffer>> = [];
  const limit = Math.max(2, availableParallelism()) * 2;
  let crc = 0;
  let total = 0;
  let previous: Buffer | undefined;
  yield GZIP_HEADER;
  for await (const block of blocksOf(source)) {
    crc = crc32(block, crc);
    total += block.byteLength;
    const dictionary = previous?.subarray(previous.byteLength - WINDOW_BYTES);
    inFlight.push(deflateRawAsync(block, { level, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) }));
    previous = block;
    if (inFlight.length >= limit) yield await (inFlight.shift() as Promise<Buffer>);
  }
  while (inFlight.length > 0) yield await (inFlight.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4);
  yield Buffer.concat([FINAL_EMPTY_BLOCK, trailer]);
}

/** The source re-cut into BLOCK_BYTES pieces (the last may be shorter). */
async function* blocksOf(source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (pendingBytes + rest.byteLength >= BLOCK_BYTES) {
      const take = BLOCK_BYTES - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      rest = rest.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.byteLength > 0) {
      pending.push(Buffer.from(rest));
      pendingBytes += rest.byteLength;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
