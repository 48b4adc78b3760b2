/** Reads a stream of chunks at its own pace: e.g. an upload of a layer while it is compressed. */
export type ChunkConsumer = (chunks: AsyncIterable<Buffer>) => Promise<unknown>;

/** Chunks the consumer may fall behind by before the source waits for it (deflate output: ~1 MiB each). */
const HIGH_WATER_CHUNKS = 16;
/** Small chunks are handed over joined into pieces of at least this size (see joinedChunks). */
const HAND_OVER_BYTES = 64 * 1024;

/**
 * `source` as it is read, small chunks joined (joinedChunks), every piece also handed to
 * `consumer`. The consumer is a passenger: if it fails or stops reading, it is dropped and the
 * source goes on alone (its promise is awaited, never rejected out of here). An error in the
 * source, or the reader stopping early, ends the consumer's stream with an error. The returned
 * iterable ends only once the consumer has settled, so whatever it recorded is in place when the
 * reader sees the end.
 */
export async function* teeTo(source: AsyncIterable<Buffer>, consumer: ChunkConsumer): AsyncIterable<Buffer> {
  const channel = new Channel();
  const settled = consumer(channel)
    .catch(() => undefined)
    .finally(() => channel.drop());
  let finished = false;
  try {
    for await (const piece of joinedChunks(source)) {
      await channel.put(piece);
      yield piece;
    }
    channel.end();
    finished = true;
    await settled;
  } finally {
    if (!finished) channel.end(new Error('the stream being copied ended early'));
  }
}

/**
 * `source` with small chunks joined into pieces of at least `minBytes`; a chunk that large on its
 * own passes as it is, after what was gathered before it (which may then be shorter). A layer tar
 * of small files comes as 512-byte headers and short bodies: each hop of an async iteration per
 * chunk (hashing, storing, compressing) cost more than the tar.
 */
export async function* joinedChunks(source: AsyncIterable<Buffer>, minBytes = HAND_OVER_BYTES): AsyncIterable<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const takePending = () => {
    const piece = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return piece;
  };
  for await (const chunk of source) {
    if (chunk.byteLength >= minBytes) {
      // A large chunk (a big file's data) is never copied: what came before goes on first.
      if (pendingBytes > 0) yield takePending();
      yield chunk;
      continue;
    }
    pending.push(chunk);
    pendingBytes += chunk.byteLength;
    if (pendingBytes >= minBytes) yield takePending();
  }
  if (pendingBytes > 0) yield takePending();
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
