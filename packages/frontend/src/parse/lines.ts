import { TsbuildError } from '@tsbuild/errors';

import type { Heredoc } from '../ast.js';
import { parseWords } from './words.js';

/** One instruction as BuildKit's scanner assembles it: continuations joined, heredoc bodies read. */
export interface ScannedInstruction {
  /** The logical line: continuation escapes and newlines removed, comment and blank lines inside dropped. */
  line: string;
  /** 1-based first and last physical line (heredoc bodies included). */
  start: number;
  end: number;
  /** The physical lines as written. */
  original: string;
  heredocs: Heredoc[];
  /** A blank line sat inside the continuation (BuildKit warns: NoEmptyContinuation). */
  emptyContinuation: boolean;
}

const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;

/**
 * Walks the physical lines as BuildKit's parser.Parse does: comment lines are skipped (also
 * inside a continuation), blank lines inside a continuation are dropped, a line continues when it
 * ends with an unescaped escape character (trailing blanks allowed), and RUN/COPY/ADD read the
 * bodies of their heredocs from the following lines.
 */
export function scanInstructions(text: string, escape: string, file: string): ScannedInstruction[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const result: ScannedInstruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    i++;
    const start = i;
    let [line, ended] = continuation(isComment(first) ? '' : first.trimStart(), escape);
    if (ended && line.trim() === '') continue;
    let emptyContinuation = false;
    while (!ended && i < lines.length) {
      const next = lines[i]!;
      i++;
      if (isComment(next)) continue;
      if (next.trim() === '') {
        emptyContinuation = true;
        continue;
      }
      const [joined, lineEnded] = continuation(next, escape);
      line += joined;
      ended = lineEnded;
    }
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keywordOf(line))) {
      for (const head of heredocHeads(line)) {
        const body = readHeredoc(lines, i, head);
        if (!body) {
          throw new TsbuildError('UNTERMINATED_HEREDOC', `unterminated heredoc: no line "${head.name}" ends the heredoc <<${head.chomp ? '-' : ''}${head.name}`, {
            location: { file, line: start },
          });
        }
        i = body.next;
        heredocs.push({ name: head.name, content: body.content, expand: head.expand, chomp: head.chomp });
      }
    }
    result.push({ line, start, end: i, original: lines.slice(start - 1, i).join('\n'), heredocs, emptyContinuation });
  }
  return result;
}

export function isComment(line: string): boolean {
  return line.trimStart().startsWith('#');
}

/** A line continues when it ends (blanks aside) with an odd number of escape characters. */
function continuation(line: string, escape: string): [string, boolean] {
  const trimmed = line.replace(/[ \t]+$/, '');
  let count = 0;
  while (count < trimmed.length && trimmed[trimmed.length - 1 - count] === escape) count++;
  if (count % 2 === 1) return [trimmed.slice(0, -1), false];
  return [line, true];
}

function keywordOf(line: string): string {
  return (line.trim().split(/\s+/u)[0] ?? '').toUpperCase();
}

interface HeredocHead {
  name: string;
  expand: boolean;
  chomp: boolean;
}

/** The `<<[-]WORD` words of a line; a quoted WORD (any part) means the body is not expanded. */
export function heredocHeads(line: string): HeredocHead[] {
  const heads: HeredocHead[] = [];
  for (const word of parseWords(line, '\\')) {
    const match = HEREDOC_WORD.exec(word);
    if (!match || match[3] === '') continue;
    const raw = match[3]!;
    const name = unquote(raw);
    if (name === '' || /\s/u.test(name)) continue;
    heads.push({ name, expand: !/['"]/.test(raw), chomp: match[2] === '-' });
  }
  return heads;
}

function unquote(word: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else out += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '\\' && i + 1 < word.length) {
      out += word[++i];
    } else {
      out += ch;
    }
  }
  return out;
}

function readHeredoc(lines: string[], from: number, head: HeredocHead): { content: string; next: number } | undefined {
  let content = '';
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const candidate = head.chomp ? line.replace(/^\t+/, '') : line;
    if (candidate === head.name) return { content, next: i + 1 };
    content += `${candidate}\n`;
  }
  return undefined;
}
