import { TsbuildError, type SourceLocation } from '@tsbuild/errors';

import type { LineRange, RawInstruction } from '../ast.js';
import type { ScannedInstruction } from './lines.js';
import { suggest } from './suggest.js';
import { extractFlags, parseJsonArray, parseWords, splitWhitespace } from './words.js';

export const KEYWORDS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;
const KNOWN = new Set<string>(KEYWORDS);

interface Args {
  args: string[];
  json: boolean;
  onbuild?: RawInstruction;
}

/** Turns a scanned instruction into BuildKit's node: keyword, flags, and arguments per keyword. */
export function toRawInstruction(scanned: ScannedInstruction, escape: string, file: string): RawInstruction {
  const range = { start: scanned.start, end: scanned.end };
  return fromLine(scanned.line, { ...scanned, range }, escape, { file, line: scanned.start, endLine: scanned.end });
}

function fromLine(
  line: string,
  context: { original: string; heredocs: RawInstruction['heredocs']; range: LineRange },
  escape: string,
  location: SourceLocation,
): RawInstruction {
  const trimmed = line.trim();
  const split = /^(\S+)(?:\s+([\s\S]*))?$/u.exec(trimmed);
  const written = split?.[1] ?? '';
  const keyword = written.toUpperCase();
  if (!KNOWN.has(keyword)) throw unknownInstruction(written, trimmed, location);
  const { flags, rest } = extractFlags(split?.[2] ?? '');
  const parsed = argsFor(keyword, rest.trim(), escape, location, context);
  return {
    keyword,
    writtenKeyword: written,
    flags,
    args: parsed.args,
    json: parsed.json,
    original: context.original,
    heredocs: context.heredocs,
    ...(parsed.onbuild ? { onbuild: parsed.onbuild } : {}),
    range: context.range,
  };
}

function unknownInstruction(written: string, line: string, location: SourceLocation): TsbuildError {
  const guess = suggest(written, KEYWORDS);
  const hint = guess ? ` (did you mean ${guess}?)` : '';
  return new TsbuildError('UNKNOWN_INSTRUCTION', `unknown instruction: ${written}${hint}`, { location });
}

function argsFor(
  keyword: string,
  rest: string,
  escape: string,
  location: SourceLocation,
  context: { original: string; heredocs: RawInstruction['heredocs']; range: LineRange },
): Args {
  switch (keyword) {
    case 'ADD':
    case 'COPY':
    case 'VOLUME':
      return maybeJsonList(rest, location);
    case 'ARG':
      return { args: parseWords(rest, escape), json: false };
    case 'CMD':
    case 'ENTRYPOINT':
    case 'RUN':
    case 'SHELL':
      return maybeJson(rest, location);
    case 'ENV':
    case 'LABEL':
      return { args: nameValues(keyword, rest, escape, location), json: false };
    case 'EXPOSE':
    case 'FROM':
      return { args: splitWhitespace(rest), json: false };
    case 'HEALTHCHECK':
      return healthcheck(rest, location);
    case 'ONBUILD': {
      if (rest === '') return { args: [], json: false };
      const inner = fromLine(rest, { original: rest, heredocs: [], range: context.range }, escape, location);
      return { args: [], json: false, onbuild: inner };
    }
    default:
      // MAINTAINER, STOPSIGNAL, USER, WORKDIR: the rest as one string.
      return { args: rest === '' ? [] : [rest], json: false };
  }
}

function maybeJson(rest: string, location: SourceLocation): Args {
  if (rest === '') return { args: [], json: false };
  const json = parseJsonArray(rest);
  if (json.ok) return { args: json.args, json: true };
  if (json.notStrings) throw notStringArray(location);
  return { args: [rest], json: false };
}

function maybeJsonList(rest: string, location: SourceLocation): Args {
  const json = parseJsonArray(rest);
  if (json.ok) return { args: json.args, json: true };
  if (json.notStrings) throw notStringArray(location);
  return { args: splitWhitespace(rest), json: false };
}

function notStringArray(location: SourceLocation): TsbuildError {
  return new TsbuildError('INVALID_JSON', 'when using JSON array syntax, arrays must be comprised of strings only', { location });
}

/** ENV/LABEL: `KEY=VALUE …` pairs, or the legacy `KEY VALUE` form; values keep their quotes here. */
function nameValues(keyword: string, rest: string, escape: string, location: SourceLocation): string[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const parts = /^(\S+)[\t\v\f\r ]+([\s\S]+)$/u.exec(rest);
    if (!parts) throw new TsbuildError('MISSING_VALUE', `${keyword} must have two arguments`, { location });
    return [parts[1]!, parts[2]!, ''];
  }
  return words.flatMap((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new TsbuildError('INVALID_INSTRUCTION', `Syntax error - can't find = in "${word}". Must be of the form: name=value`, { location });
    }
    if (eq === 0) throw new TsbuildError('MISSING_VALUE', `${keyword} names can not be blank`, { location });
    return [word.slice(0, eq), word.slice(eq + 1), '='];
  });
}

/** HEALTHCHECK: the type word (`CMD`, `NONE`), then the command in shell or JSON form. */
function healthcheck(rest: string, location: SourceLocation): Args {
  const match = /^(\S+)\s*([\s\S]*)$/u.exec(rest);
  if (!match) return { args: [], json: false };
  const command = maybeJson(match[2]!, location);
  return { args: [match[1]!, ...command.args], json: command.json };
}
