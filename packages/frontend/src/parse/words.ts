/** BuildKit's word splitters for instruction arguments (frontend/dockerfile/parser/line_parsers.go). */

const SPACE = /^\s$/u;

/**
 * parseWords: whitespace-separated words, quotes and escapes kept as written but respected
 * (`"a b"` is one word). Used for ENV, LABEL and ARG.
 */
export function parseWords(rest: string, escape: string): string[] {
  const chars = [...rest];
  const words: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (atEnd) break;
      if (SPACE.test(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOk || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (SPACE.test(ch)) {
        phase = 'spaces';
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue; // an escape at the very end is dropped
        word += ch;
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    // In quotes: the escape is special except inside single quotes.
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++pos]!;
    }
    word += ch;
  }
  return words;
}

/** parseStringsWhitespaceDelimited: a plain whitespace split, quotes not special. */
export function splitWhitespace(rest: string): string[] {
  const trimmed = rest.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/u);
}

/**
 * extractBuilderFlags: the leading `--name[=value]` words (quotes and backslashes processed)
 * and the rest of the line. A lone `--` ends the flags.
 */
export function extractFlags(line: string): { flags: string[]; rest: string } {
  const chars = [...line];
  const flags: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (atEnd) break;
      if (SPACE.test(ch)) continue;
      if (ch !== '-' || chars[pos + 1] !== '-') return { flags, rest: chars.slice(pos).join('') };
      phase = 'word';
    }
    if (atEnd) {
      if (word !== '--' && (blankOk || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (SPACE.test(ch)) {
        phase = 'spaces';
        if (word === '--') return { flags, rest: chars.slice(pos).join('').trimStart() };
        if (blankOk || word.length > 0) flags.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === chars.length) continue;
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      ch = chars[++pos]!;
    }
    word += ch;
  }
  return { flags, rest: '' };
}

export type JsonArgs = { ok: true; args: string[] } | { ok: false; notStrings: boolean };

/**
 * parseJSON: a JSON array of strings at the start of the text (trailing text ignored, as Go's
 * json.Decoder reads one value). An array with a non-string element is an error, not shell form.
 */
export function parseJsonArray(rest: string): JsonArgs {
  const text = rest.trimStart();
  if (!text.startsWith('[')) return { ok: false, notStrings: false };
  const end = jsonValueEnd(text);
  if (end < 0) return { ok: false, notStrings: false };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return { ok: false, notStrings: false };
  }
  if (!Array.isArray(value)) return { ok: false, notStrings: false };
  if (!value.every((v) => typeof v === 'string')) return { ok: false, notStrings: true };
  return { ok: true, args: value as string[] };
}

/** Where the JSON value that starts the text ends (brackets balanced outside strings), or -1. */
function jsonValueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
