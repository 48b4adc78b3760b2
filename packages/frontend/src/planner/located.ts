import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { RawInstruction } from '../ast.js';

export function locationOf(file: string, raw: RawInstruction): SourceLocation {
  return { file, line: raw.range.start, endLine: raw.range.end };
}

/** Runs `fn`, giving any located-less TsbuildError it throws the instruction's location. */
export function atInstruction<T>(file: string, raw: RawInstruction, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TsbuildError && !error.location) {
      throw new TsbuildError(error.code, error.message, {
        location: locationOf(file, raw),
        kind: error.kind,
        detail: error.detail,
        cause: error,
      });
    }
    throw error;
  }
}
