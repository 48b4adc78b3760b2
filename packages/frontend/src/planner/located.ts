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
    throw located(file, raw, error);
  }
}

export async function atInstructionAsync<T>(file: string, raw: RawInstruction, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw located(file, raw, error);
  }
}

function located(file: string, raw: RawInstruction, error: unknown): unknown {
  if (!(error instanceof TsbuildError) || error.location) return error;
  return new TsbuildError(error.code, error.message, { location: locationOf(file, raw), kind: error.kind, detail: error.detail, cause: error });
}
