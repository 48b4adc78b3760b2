import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { expandWord, expandWords, type ExpansionEnv } from '@tsbuild/frontend';

import { conformanceDir } from '../../../test/support/paths.js';

const envOf = (vars: Record<string, string>): ExpansionEnv => (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined);

/** `PLATFORM|input|expected` lines of BuildKit's envVarTest; W (Windows) lines are not ours. */
function envVarCases(): Array<[string, string]> {
  return readFileSync(join(conformanceDir, 'shell', 'envVarTest'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split('|').map((f) => f.trim()))
    .filter(([platform]) => platform === 'A' || platform === 'U')
    .map(([, input, expected]) => [input!, expected!]);
}

describe("BuildKit's envVarTest", () => {
  const env = envOf({ PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' });
  const cases = envVarCases();
  it('has its cases', () => expect(cases.length).toBeGreaterThan(200));
  it.each(cases)('%s → %s', (input, expected) => {
    if (expected === 'error') {
      expect(() => expandWord(input, env)).toThrow(TsbuildError);
    } else {
      expect(expandWord(input, env)).toBe(expected);
    }
  });
});

describe("BuildKit's wordsTest", () => {
  const vars: Record<string, string> = {};
  const cases: Array<[string, string, Record<string, string>]> = [];
  for (const line of readFileSync(join(conformanceDir, 'shell', 'wordsTest'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    if (line.startsWith('ENV ')) {
      const [name, ...value] = line.slice(4).split('=');
      vars[name!] = value.join('=');
      continue;
    }
    const bar = line.indexOf('|');
    cases.push([line.slice(0, bar).trim(), line.slice(bar + 1).replace(/^ /, ''), { ...vars }]);
  }
  it('has its cases', () => expect(cases.length).toBeGreaterThan(20));
  it.each(cases)('%s → %s', (input, expected, env) => {
    if (expected.trim() === 'error') {
      expect(() => expandWords(input, envOf(env))).toThrow(TsbuildError);
    } else {
      expect(expandWords(input, envOf(env)).join(',')).toBe(expected);
    }
  });
});

describe('errors, modifiers and the escape directive', () => {
  const env = envOf({ FILE: 'archive.tar.gz', EMPTY: '', PATH_LIKE: '/usr/local/bin' });

  it('names the word and the reason', () => {
    const error = (() => {
      try {
        expandWord('${MISSING:?set MISSING first}', env);
      } catch (e) {
        return e as TsbuildError;
      }
      throw new Error('expected an error');
    })();
    expect([error.code, error.message]).toEqual(['BAD_EXPANSION', 'failed to process "${MISSING:?set MISSING first}": MISSING: set MISSING first']);
    expect(() => expandWord('${EMPTY:?}', env)).toThrow('EMPTY: is not allowed to be empty');
    expect(() => expandWord('${MISSING?}', env)).toThrow('MISSING: is not allowed to be unset');
    expect(() => expandWord('${FILE', env)).toThrow("syntax error: missing '}'");
    expect(() => expandWord('${:x}', env)).toThrow('bad substitution');
  });

  it('trims prefixes and suffixes, shortest and longest, and replaces', () => {
    expect(expandWord('${FILE%.*}', env)).toBe('archive.tar');
    expect(expandWord('${FILE%%.*}', env)).toBe('archive');
    expect(expandWord('${FILE#*.}', env)).toBe('tar.gz');
    expect(expandWord('${FILE##*.}', env)).toBe('gz');
    expect(expandWord('${PATH_LIKE/local/opt}', env)).toBe('/usr/opt/bin');
    expect(expandWord('${PATH_LIKE//\\//:}', env)).toBe(':usr:local:bin');
    expect(expandWord('${EMPTY-unset}${EMPTY:-empty}${FILE+set}', env)).toBe('emptyset');
  });

  it('uses the backtick as escape character when the directive says so', () => {
    expect(expandWord('a`$FILE\\b', env, { escape: '`' })).toBe('a$FILE\\b');
    expect(expandWord('"x`"y"', env, { escape: '`' })).toBe('x"y');
  });

  it('reports every variable it looks up', () => {
    const seen: Array<[string, boolean]> = [];
    expandWord('$FILE ${NOPE:-x} "$EMPTY"', env, { onLookup: (name, defined) => seen.push([name, defined]) });
    expect(seen).toEqual([['FILE', true], ['NOPE', false], ['EMPTY', true]]);
  });

  it('leaves words without quotes, escapes or $ as they are', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/[$'"\\]/.test(s)), (word) => {
        expect(expandWord(word, env)).toBe(word);
      }),
    );
  });

  it('keeps single-quoted text literally', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("'")), (text) => {
        expect(expandWord(`'${text}'`, env)).toBe(text);
        expect(expandWords(`'${text}'`, env)).toEqual(text === '' ? [] : [text]);
      }),
    );
  });
});
