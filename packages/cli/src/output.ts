import { isTsbuildError } from '@tsbuild/errors';

import { InterruptedError } from './interrupts.js';

/** The CLI is the only package that prints; everything goes through here. */
export function out(line = ''): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

/** Prints a failure as one line (plus its detail lines) and returns the exit code for it. */
export function reportError(error: unknown, debug: boolean): number {
  if (isTsbuildError(error)) {
    err(`error: ${error.oneLine()}`);
    for (const line of error.detail) err(line);
    if (debug && error.stack) err(error.stack);
    if (error instanceof InterruptedError) return error.exitCode;
    return error.kind === 'usage' ? 2 : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  err(`error: internal error: ${message} (run with --debug for the stack, and please report it)`);
  if (debug && error instanceof Error && error.stack) err(error.stack);
  return 1;
}
