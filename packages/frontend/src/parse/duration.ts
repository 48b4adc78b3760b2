import { TsbuildError } from '@tsbuild/errors';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration (`1m30s`, `500ms`, `0`), in nanoseconds. */
export function parseGoDuration(text: string, flag: string): number {
  const invalid = () => new TsbuildError('BAD_FLAG_VALUE', `invalid duration "${text}" for --${flag} (use e.g. 30s, 1m30s, 500ms)`);
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/u;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match) throw invalid();
    total += Number(match[1]) * UNIT_NS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return Math.round(sign * total);
}
