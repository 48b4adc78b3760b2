import { TsbuildError } from '@tsbuild/errors';

import { suggest } from './suggest.js';

/** The flags each instruction accepts (Dockerfile 1.x); `multi` ones may repeat. */
const ACCEPTED: Record<string, Record<string, 'bool' | 'string' | 'multi'>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'multi', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'multi' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool', exclude: 'multi', unpack: 'bool' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

export interface ParsedFlags {
  values: Map<string, string[]>;
  string(name: string): string | undefined;
  bool(name: string): boolean | undefined;
  multi(name: string): string[];
}

/** Parses `--name[=value]` flags as BuildKit's BFlags does, refusing flags the instruction does not take. */
export function parseFlags(keyword: string, flags: string[]): ParsedFlags {
  const accepted = ACCEPTED[keyword] ?? {};
  const values = new Map<string, string[]>();
  for (const flag of flags) {
    const body = flag.replace(/^--/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const kind = accepted[name];
    if (!kind) {
      const guess = suggest(name, Object.keys(accepted));
      const hint = guess ? ` (did you mean --${guess}?)` : '';
      throw new TsbuildError('UNKNOWN_FLAG', `unknown flag: --${name}${hint}`);
    }
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    if (kind === 'bool') {
      if (value !== undefined && !['true', 'false'].includes(value.toLowerCase())) {
        throw new TsbuildError('BAD_FLAG_VALUE', `expecting boolean value for flag --${name}, not: ${value}`);
      }
    } else if (value === undefined) {
      throw new TsbuildError('BAD_FLAG_VALUE', `missing a value on flag: --${name}`);
    }
    const list = values.get(name) ?? [];
    if (kind !== 'multi' && list.length > 0) throw new TsbuildError('BAD_FLAG_VALUE', `duplicate flag specified: --${name}`);
    list.push(value ?? 'true');
    values.set(name, list);
  }
  return {
    values,
    string: (name) => values.get(name)?.[0],
    bool: (name) => {
      const value = values.get(name)?.[0];
      return value === undefined ? undefined : value.toLowerCase() === 'true';
    },
    multi: (name) => values.get(name) ?? [],
  };
}
