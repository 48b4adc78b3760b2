/**
 * Shell patterns of `${V#pat}`, `${V%pat}` and `${V/pat/repl}`: `*`, `?`, `[...]`, and the
 * escape character quoting the next one. Converted to a RegExp source.
 */
export function patternToRegExpSource(pattern: string, escape: string): string {
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === escape && i + 1 < chars.length) {
      source += escapeRegExp(chars[++i]!);
    } else if (ch === '*') {
      source += '[\\s\\S]*';
    } else if (ch === '?') {
      source += '[\\s\\S]';
    } else if (ch === '[') {
      const end = chars.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = chars.slice(i + 1, end).join('');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else {
      source += escapeRegExp(ch);
    }
  }
  return source;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `${V#pat}` (shortest) / `${V##pat}` (longest): the value without the matching prefix. */
export function trimPrefix(value: string, pattern: string, longest: boolean, escape: string): string {
  const re = new RegExp(`^(?:${patternToRegExpSource(pattern, escape)})$`, 'u');
  const chars = [...value];
  const lengths = [...Array(chars.length + 1).keys()];
  if (longest) lengths.reverse();
  for (const n of lengths) if (re.test(chars.slice(0, n).join(''))) return chars.slice(n).join('');
  return value;
}

/** `${V%pat}` (shortest) / `${V%%pat}` (longest): the value without the matching suffix. */
export function trimSuffix(value: string, pattern: string, longest: boolean, escape: string): string {
  const re = new RegExp(`^(?:${patternToRegExpSource(pattern, escape)})$`, 'u');
  const chars = [...value];
  const lengths = [...Array(chars.length + 1).keys()];
  if (longest) lengths.reverse();
  for (const n of lengths) if (re.test(chars.slice(chars.length - n).join(''))) return chars.slice(0, chars.length - n).join('');
  return value;
}

/** `${V/pat/repl}` (first, longest match) and `${V//pat/repl}` (every match). */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean, escape: string): string {
  if (pattern === '') return value;
  const re = new RegExp(patternToRegExpSource(pattern, escape), all ? 'gu' : 'u');
  return value.replace(re, () => replacement);
}
