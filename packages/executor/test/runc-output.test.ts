import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forEachLine, MAX_LINE_BYTES } from '../src/runc/output-lines.js';

async function linesOf(chunks: (string | Buffer)[]): Promise<string[]> {
  const input = new PassThrough();
  const lines: string[] = [];
  const done = forEachLine(input, (line) => lines.push(line));
  for (const chunk of chunks) input.write(chunk);
  input.end();
  await done;
  return lines;
}

describe('forEachLine', () => {
  it('splits on newlines across chunks, drops CR of CRLF, keeps empty lines and the unterminated rest', async () => {
    expect(await linesOf(['a\r\nb', 'c\n\nd'])).toEqual(['a', 'bc', '', 'd']);
    expect(await linesOf(['x\n'])).toEqual(['x']);
    expect(await linesOf([])).toEqual([]);
  });

  it('decodes UTF-8 characters split between chunks', async () => {
    const bytes = Buffer.from('héllo ✓\n');
    expect(await linesOf([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)])).toEqual(['héllo ✓']);
  });

  it('cuts lines longer than MAX_LINE_BYTES into pieces without adding empty lines', async () => {
    const exact = 'a'.repeat(MAX_LINE_BYTES);
    expect(await linesOf([`${exact}\nnext\n`])).toEqual([exact, 'next']);
    const long = 'b'.repeat(MAX_LINE_BYTES * 2 + 5);
    expect((await linesOf([long.slice(0, 1000), long.slice(1000), '\n'])).map((line) => line.length)).toEqual([MAX_LINE_BYTES, MAX_LINE_BYTES, 5]);
  });
});
