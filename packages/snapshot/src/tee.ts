/** Reads a stream of chunks at its own pace: e.g. an upload of a layer while it is compressed. */
export type ChunkConsumer = (chunks: AsyncIterable<Buffer>) => Promise<unknown>;

/** Chunks the consumer may fall behind by before the source waits for it (deflate output: ~1 MiB each). */
const HIGH_WATER_CHUNKS = 16;
/**
 * Small chunks (a layer tar of small files comes as 512-byte headers and short bodies) are handed
 * over joined into pieces of at least this size: one hand-over per chunk cost more than the tar.
 */
const HAND_OVER_BYTES = 64 * 1024;

/**
 * `source` as it is read, every byte also handed to `consumer` (small chunks joined). The
 * consumer is a passenger: if it fails or stops reading, it is dropped and the source goes on
 * alone (its promise is awaited, never rejected out of here). An error in the source, or the reader stopping early, ends the
 * consumer's stream with an error. The returned iterable ends only once the consumer has
 * settled, so whatever it recorded is in place when the reader sees the end.
 */
export async function* teeTo(source: AsyncIterable<Buffer>, consumer: ChunkConsumer): AsyncIterable<Buffer> {
  const channel = new Channel();
  const settled = consumer(channel)
    .catch(() => undefined)
    .finally(() => channel.drop());
  let finished = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const handOver = async () => {
    await channel.put(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const chunk of source) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= HAND_OVER_BYTES) await handOver();
      yield chunk;
    }
    if (pendingBytes > 0) await handOver();
    channel.end();
    finished = true;
    await settled;
  } finally {
    if (!finished) channel.end(new Error('the stream being copied ended early'));
  }
}

/** A bounded queue from one writer to one reader that may leave at any time. */
class Channel implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private dropped = false;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  async put(chunk: Buffer): Promise<void> {
    if (this.dropped) return;
    this.queue.push(chunk);
    this.wake('reader');
    while (this.queue.length >= HIGH_WATER_CHUNKS && !this.dropped) await new Promise<void>((resolve) => (this.wakeWriter = resolve));
  }

  end(failure?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.wake('reader');
  }

  /** The reader is gone: the queue is let go and the writer no longer waits. */
  drop(): void {
    this.dropped = true;
    this.queue.length = 0;
    this.wake('writer');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk) {
          this.wake('writer');
          yield chunk;
        } else if (this.ended) {
          if (this.failure) throw this.failure;
          return;
        } else {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
        }
      }
    } finally {
      if (!this.ended || this.queue.length > 0) this.drop();
    }
  }

  private wake(who: 'reader' | 'writer'): void {
    const wake = who === 'reader' ? this.wakeReader : this.wakeWriter;
    if (who === 'reader') this.wakeReader = undefined;
    else this.wakeWriter = undefined;
    wake?.();
  }
}
