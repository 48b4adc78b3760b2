import { parseArgs, type ParseArgsConfig } from 'node:util';

import { TsbuildError } from '@tsbuild/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

/** node:util parseArgs, with its errors turned into one-line usage errors. */
export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedArgs {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split(/\.\s|\n/)[0];
    throw new TsbuildError('USAGE', `${command}: ${message}. See 'tsbuild ${command} --help'.`, { kind: 'usage' });
  }
}

/** `K=V` pairs of repeated flags such as --build-arg; `K` alone takes the value from the environment. */
export function keyValues(values: string[] | undefined, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new TsbuildError('USAGE', `${flag}: missing name in '${item}'`, { kind: 'usage' });
    if (eq < 0) {
      const fromEnv = process.env[item];
      if (fromEnv !== undefined) result[item] = fromEnv;
      continue;
    }
    result[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return result;
}
