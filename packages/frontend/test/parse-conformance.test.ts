import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { parseDockerfile, type RawInstruction } from '@tsbuild/frontend';

import { conformanceDir } from '../../../test/support/paths.js';

const parserDir = join(conformanceDir, 'parser');

/** Go's %q for the strings BuildKit's Node.Dump prints. */
function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (ch === '\x07') out += '\\a';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** BuildKit's `(keyword ["--flag"] "arg" …)` dump of one instruction. */
function dump(raw: RawInstruction): string {
  let text = raw.keyword.toLowerCase();
  if (raw.flags.length > 0) text += ` [${raw.flags.map(goQuote).join(' ')}]`;
  if (raw.onbuild) text += ` ${dump(raw.onbuild)}`;
  for (const arg of raw.args) text += ` ${goQuote(arg)}`;
  return `(${text})`;
}

const cases = readdirSync(join(parserDir, 'testfiles')).sort();

describe("BuildKit's parser testfiles", () => {
  it('has its cases', () => expect(cases.length).toBeGreaterThan(30));
  it.each(cases)('%s', (name) => {
    const dir = join(parserDir, 'testfiles', name);
    const parsed = parseDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'), 'Dockerfile');
    const expected = readFileSync(join(dir, 'result'), 'utf8').trimEnd().split('\n');
    expect(parsed.instructions.map(dump)).toEqual(expected);
  });
});

describe("BuildKit's negative testfiles", () => {
  const negatives = readdirSync(join(parserDir, 'testfiles-negative')).sort();
  it.each(negatives)('%s is refused', (name) => {
    const text = readFileSync(join(parserDir, 'testfiles-negative', name, 'Dockerfile'), 'utf8');
    let error: unknown;
    try {
      parseDockerfile(text, 'Dockerfile');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TsbuildError);
    expect((error as TsbuildError).location?.line).toBeGreaterThan(0);
  });
});

describe("BuildKit's testfile-line", () => {
  it('gives each instruction its first and last line', () => {
    const parsed = parseDockerfile(readFileSync(join(parserDir, 'testfile-line', 'Dockerfile'), 'utf8'), 'Dockerfile');
    expect(parsed.instructions.map((i) => [i.range.start, i.range.end])).toEqual([[5, 5], [11, 12], [17, 31]]);
  });
});
