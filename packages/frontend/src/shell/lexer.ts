import { TsbuildError } from '@tsbuild/errors';

import { replacePattern, trimPrefix, trimSuffix } from './pattern.js';
import { WordCollector } from './words.js';

/** Looks a variable up; undefined = unset (different from set-but-empty). */
export type ExpansionEnv = (name: string) => string | undefined;

export interface ExpansionOptions {
  /** The escape character: backslash unless the `escape` directive says backtick. */
  escape?: '\\' | '`';
  /** Called for every variable a word refers to, with whether it was set (lint's UndefinedVar). */
  onLookup?: (name: string, defined: boolean) => void;
  /** Quotes are plain characters (heredoc bodies: BuildKit's SkipProcessQuotes). */
  keepQuotes?: boolean;
}

const EOF = '';

class SyntaxFailure extends Error {}

/**
 * BuildKit's Dockerfile word lexer (frontend/dockerfile/shell/lex.go), rune by rune: quotes,
 * the escape character, and `$` expansions with the POSIX modifiers BuildKit supports.
 */
class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;

  constructor(word: string, private readonly env: ExpansionEnv, private readonly options: ExpansionOptions) {
    this.chars = [...word];
    this.escape = options.escape ?? '\\';
  }

  run(): { word: string; words: string[] } {
    return this.processUntil([], false);
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  /** Reads up to (and consuming) one of `stops`, or to the end when `stops` is empty. */
  private processUntil(stops: string[], rawEscapes: boolean): { word: string; words: string[] } {
    let result = '';
    const words = new WordCollector();
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (stops.includes(ch)) {
        this.next();
        return { word: result, words: words.result() };
      }
      if (ch === '$' || ((ch === "'" || ch === '"') && !this.options.keepQuotes)) {
        const text = ch === "'" ? this.singleQuoted() : ch === '"' ? this.doubleQuoted() : this.dollar();
        result += text;
        if (ch === '$') words.addString(text);
        else words.addRawString(text);
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        if (rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        c = this.next();
        if (c === EOF) break;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stops.length > 0) throw new SyntaxFailure(`unexpected end of statement while looking for matching ${stops.join('')}`);
    return { word: result, words: words.result() };
  }

  private singleQuoted(): string {
    this.next();
    let result = '';
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new SyntaxFailure('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return result;
      result += ch;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let result = '';
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) throw new SyntaxFailure('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        this.next();
        return result;
      }
      if (peeked === '$') {
        result += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escape) {
        const after = this.peek();
        if (after === EOF) continue; // a trailing escape is dropped
        if (after === '"' || after === '$' || after === this.escape) ch = this.next();
      }
      result += ch;
    }
  }

  private lookup(name: string): string | undefined {
    const value = this.env(name);
    this.options.onLookup?.(name, value !== undefined);
    return value;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new SyntaxFailure("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new SyntaxFailure('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let modifier = ch;
    switch (ch) {
      case '}':
        return this.lookup(name) ?? '';
      case ':':
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        const nullIsUnset = ch === ':';
        if (nullIsUnset) {
          ch = this.next();
          modifier += ch;
        }
        const rawEscapes = ch === '#' || ch === '%';
        if (nullIsUnset && (rawEscapes || !['+', '-', '?'].includes(ch))) {
          throw new SyntaxFailure(`unsupported modifier (${modifier}) in substitution`);
        }
        const word = this.operand(['}'], rawEscapes);
        return this.applyModifier(name, ch, nullIsUnset, word);
      }
      case '/': {
        const all = this.peek() === '/';
        if (all) this.next();
        const stopped = this.operandWithStop(['/', '}'], true);
        const replacement = stopped.stop === '/' ? this.operand(['}'], true) : '';
        return replacePattern(this.lookup(name) ?? '', stopped.word, replacement, all, this.escape);
      }
      default:
        throw new SyntaxFailure(ch === EOF ? "syntax error: missing '}'" : `unsupported modifier (${modifier}) in substitution`);
    }
  }

  private operand(stops: string[], rawEscapes: boolean): string {
    return this.operandWithStop(stops, rawEscapes).word;
  }

  private operandWithStop(stops: string[], rawEscapes: boolean): { word: string; stop: string } {
    try {
      const { word } = this.processUntil(stops, rawEscapes);
      return { word, stop: this.chars[this.pos - 1] ?? EOF };
    } catch (error) {
      if (error instanceof SyntaxFailure && this.peek() === EOF) throw new SyntaxFailure("syntax error: missing '}'");
      throw error;
    }
  }

  private applyModifier(name: string, op: string, nullIsUnset: boolean, word: string): string {
    const value = this.lookup(name);
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) throw new SyntaxFailure(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new SyntaxFailure(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      default: {
        const longest = word.startsWith(op);
        const pattern = longest ? word.slice(1) : word;
        return op === '%' ? trimSuffix(value ?? '', pattern, longest, this.escape) : trimPrefix(value ?? '', pattern, longest, this.escape);
      }
    }
  }

  /** A name: letters, digits and `_`; or all the digits of a positional parameter; or one special parameter. */
  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && /^\p{Nd}$/u.test(ch)) {
        while (/^\p{Nd}$/u.test(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return this.next();
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }
}

function expand(word: string, env: ExpansionEnv, options: ExpansionOptions): { word: string; words: string[] } {
  try {
    return new Lexer(word, env, options).run();
  } catch (error) {
    if (error instanceof SyntaxFailure) throw new TsbuildError('BAD_EXPANSION', `failed to process "${word}": ${error.message}`);
    throw error;
  }
}

/** BuildKit's ProcessWord: quotes removed, escapes processed, variables expanded, no splitting. */
export function expandWord(word: string, env: ExpansionEnv, options: ExpansionOptions = {}): string {
  return expand(word, env, options).word;
}

/** BuildKit's ProcessWords: as expandWord, but unquoted whitespace splits words; empty words are dropped. */
export function expandWords(word: string, env: ExpansionEnv, options: ExpansionOptions = {}): string[] {
  return expand(word, env, options).words;
}
