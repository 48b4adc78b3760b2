import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** Longer lines are passed on in pieces of this size, so a command printing endless bytes without a newline cannot grow our memory. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Calls `onLine` for each `\n`-terminated line of `input` (a trailing `\r` removed) and for the
 * unterminated rest at the end; resolves when the stream has ended.
 */
export function forEachLine(input: Readable, onLine: (line: string) => void): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // A line cut at MAX_LINE_BYTES whose newline follows right after must not add an empty line.
  let cutJustEmitted = false;
  const flush = () => {
    const decoder = new StringDecoder('utf8');
    const text = decoder.write(Buffer.concat(pending, pendingBytes)) + decoder.end();
    pending = [];
    pendingBytes = 0;
    onLine(text.endsWith('\r') ? text.slice(0, -1) : text);
  };
  const add = (piece: Buffer) => {
    for (let start = 0; start < piece.length; ) {
      const take = Math.min(piece.length - start, MAX_LINE_BYTES - pendingBytes);
      pending.push(piece.subarray(start, start + take));
      pendingBytes += take;
      start += take;
      if (pendingBytes === MAX_LINE_BYTES) {
        flush();
        cutJustEmitted = true;
      } else if (take > 0) {
        cutJustEmitted = false;
      }
    }
  };
  return new Promise((resolve, reject) => {
    input.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
        add(chunk.subarray(start, newline));
        if (pendingBytes > 0 || !cutJustEmitted) flush();
        cutJustEmitted = false;
        start = newline + 1;
      }
      add(chunk.subarray(start));
    });
    input.once('end', () => {
      if (pendingBytes > 0) flush();
      resolve();
    });
    input.once('error', reject);
  });
}
