import type * as tar from 'tar-stream';

/** tar-stream's header with the fields it fills in itself optional; type also 'pax-header'. */
export type Header = Omit<Partial<tar.Header>, 'type'> & { name: string; type?: tar.Header['type'] | 'pax-header' };

/**
 * What tar-stream's pack does for each entry, reached directly: its header encoder (with its PAX
 * fallback for long names), its readable side, and the hook its own entry streams wait on when
 * the reader is behind. Pinned by package-lock; test/pack-entry.test.ts checks the bytes match pack.entry.
 */
interface PackInternals {
  /** The entry being streamed into the pack, if any. */
  _stream: unknown;
  _encode(header: Header): void;
  _drain: () => void;
  _readableState: { buffered: number; highWaterMark: number };
  push(chunk: Buffer): boolean;
}

const ZEROS = Buffer.alloc(512);

/**
 * Adds an entry whose body is in memory (or that has none) as `pack.entry` would, byte for byte,
 * without the writable stream tar-stream makes for every entry: for a layer of 20,000 small
 * files that stream, its ticks and callbacks cost more than reading the files. Waits only when
 * the pack's reader is behind. Falls back to `pack.entry` while a streamed entry is open.
 */
export async function addEntry(pack: tar.Pack, header: Header, body: Buffer): Promise<void> {
  const internals = pack as unknown as PackInternals;
  if (internals._stream !== null) return slowEntry(pack, header, body);
  internals._encode(withDefaults(header, body));
  if (header.type === 'file' && body.byteLength > 0) {
    internals.push(body);
    const tail = body.byteLength & 511;
    if (tail) internals.push(ZEROS.subarray(0, 512 - tail));
  }
  const state = internals._readableState;
  if (state.buffered >= state.highWaterMark) await new Promise<void>((resolve) => (internals._drain = resolve));
}

/** The defaults pack.entry fills in (a mode of 0, as whiteouts have, becomes 0644). */
function withDefaults(header: Header, body: Buffer): Header {
  const type = header.type ?? 'file';
  return {
    ...header,
    type,
    size: type === 'file' ? body.byteLength : 0,
    mode: header.mode || (type === 'directory' ? 0o755 : 0o644),
    uid: header.uid || 0,
    gid: header.gid || 0,
    mtime: header.mtime ?? new Date(),
  };
}

function slowEntry(pack: tar.Pack, header: Header, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (header.type === 'file') pack.entry(header as tar.Header, body, done);
    else pack.entry(header as tar.Header, done);
  });
}
