import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';

import { isAllZero } from '@tsbuild/oci';

interface BlockOptions {
  level: number;
  strategy?: number;
  dictionary?: Buffer;
  finishFlush: number;
}

const deflateRawAsyncWith = promisify(deflateRaw) as (input: Buffer, options: BlockOptions & { chunkSize: number; memLevel: number }) => Promise<Buffer>;

/**
 * Room for a whole deflated block in one output chunk (each extra chunk costs a thread-pool trip,
 * 15-20%) and little more: deflate never grows a block by more than ~0.03% (zlib falls back to
 * stored blocks), and every byte allocated here is external memory that hastens V8's major GCs.
 */
const OUTPUT_CHUNK_BYTES = 1024 * 1024 + 8 * 1024;

/**
 * zlib's largest memLevel: twice the symbols per deflate block, so fewer Huffman trees to build
 * and send: 4% faster on data without repeats, 10% on binaries, and a little smaller (~0.1%).
 */
const MEM_LEVEL = 9;

function deflateRawAsync(input: Buffer, options: BlockOptions): Promise<Buffer> {
  return deflateRawAsyncWith(input, { ...options, chunkSize: OUTPUT_CHUNK_BYTES, memLevel: MEM_LEVEL });
}

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
  const zeros = new ZeroBlocks(level);
  for await (const block of blocksOf(source)) {
    total += block.byteLength;
    const dictionary = previous?.subarray(previous.byteLength - WINDOW_BYTES);
    if (dictionary && zeros.repeats(dictionary, block)) {
      crc = zeros.crcAfter(crc);
      inFlight.push(zeros.deflated(dictionary, block));
    } else {
      crc = crc32(block, crc);
      const strategy = repeatsPayOff(block) ? constants.Z_DEFAULT_STRATEGY : constants.Z_HUFFMAN_ONLY;
      inFlight.push(deflateRawAsync(block, { level, strategy, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) }));
    }
    previous = block;
    if (inFlight.length >= limit) yield await (inFlight.shift() as Promise<Buffer>);
  }
  while (inFlight.length > 0) yield await (inFlight.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4);
  yield Buffer.concat([FINAL_EMPTY_BLOCK, trailer]);
}

const SAMPLES = 4;
const SAMPLE_BYTES = 4 * 1024;
/** Below this, repeats save too little to be worth searching for: Huffman coding alone is as small. */
const REPEATS_MIN_SAVING = 0.03;

/**
 * Whether searching for repeated strings pays off in `block`. Data without repeats (base64 or hex
 * of random bytes, compressed files inside a layer) deflates no smaller with matching than with
 * Huffman coding alone, and zlib's match search makes it 3x slower. A sample from four places,
 * deflated at level 1, is compared with its order-0 entropy (what Huffman coding alone reaches);
 * a layer of binaries is 40% under it. Deterministic: the same block always gets the same
 * strategy, so digests reproduce.
 */
function repeatsPayOff(block: Buffer): boolean {
  if (block.byteLength < SAMPLES * SAMPLE_BYTES * 4) return true;
  const step = Math.floor(block.byteLength / SAMPLES);
  const sample = Buffer.concat(Array.from({ length: SAMPLES }, (_, i) => block.subarray(i * step, i * step + SAMPLE_BYTES)));
  return deflateRawSync(sample, { level: 1 }).byteLength < entropyBytes(sample) * (1 - REPEATS_MIN_SAVING);
}

/** Shannon's bound for `data` coded byte by byte: its size under an ideal order-0 code. */
function entropyBytes(data: Buffer): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.byteLength; i++) counts[data[i] as number]! += 1;
  let bits = 0;
  for (const count of counts) if (count > 0) bits -= count * Math.log2(count / data.byteLength);
  return bits / 8;
}

/**
 * Full blocks of zeros after a window of zeros (sparse files: a 4 GiB database file, lastlog)
 * always deflate to the same bytes and move the CRC by the same affine map, so both are worked
 * out once instead of once per MiB.
 */
class ZeroBlocks {
  private output: Promise<Buffer> | undefined;
  /** crc32(zero block, x) = constant XOR (XOR of columns[i] for each bit i set in x). */
  private constant = 0;
  private columns: number[] | undefined;

  constructor(private readonly level: number) {}

  repeats(dictionary: Buffer, block: Buffer): boolean {
    return block.byteLength === BLOCK_BYTES && isAllZero(dictionary) && isAllZero(block);
  }

  deflated(dictionary: Buffer, block: Buffer): Promise<Buffer> {
    this.output ??= deflateRawAsync(block, { level: this.level, finishFlush: constants.Z_SYNC_FLUSH, dictionary });
    return this.output;
  }

  crcAfter(crc: number): number {
    if (!this.columns) {
      const zeros = Buffer.alloc(BLOCK_BYTES);
      this.constant = crc32(zeros, 0);
      this.columns = Array.from({ length: 32 }, (_, bit) => crc32(zeros, 2 ** bit) ^ this.constant);
    }
    let result = this.constant;
    for (let bit = 0; bit < 32; bit++) if ((crc >>> bit) & 1) result ^= this.columns[bit] as number;
    return result >>> 0;
  }
}

/**
 * The source re-cut into BLOCK_BYTES pieces (the last may be shorter), each copied once into a
 * block of its own: a layer tar's file data sits 512 bytes off the block grid, and every byte
 * allocated here is external memory that hastens V8's major GCs.
 */
async function* blocksOf(source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  let filled = 0;
  for await (const chunk of source) {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Reads of exactly a block on the grid (the content store's) pass through without a copy.
    if (filled === 0 && rest.byteLength === BLOCK_BYTES) {
      yield rest;
      continue;
    }
    while (rest.byteLength > 0) {
      const take = Math.min(BLOCK_BYTES - filled, rest.byteLength);
      rest.copy(block, filled, 0, take);
      filled += take;
      rest = rest.subarray(take);
      if (filled === BLOCK_BYTES) {
        yield block;
        block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}
