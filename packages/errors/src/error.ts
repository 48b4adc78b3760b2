import { formatLocation, type SourceLocation } from './location.js';

/**
 * How the CLI should treat a failure: `usage` (bad flags or arguments, exit 2) or
 * `failure` (bad input, a failed build, a registry refusing us; exit 1).
 */
export type ErrorKind = 'usage' | 'failure';

export interface ErrorOptions {
  location?: SourceLocation;
  kind?: ErrorKind;
  /** Extra lines shown after the one-line message, e.g. the last lines of a failed RUN. */
  detail?: string[];
  cause?: unknown;
}

/**
 * The one error type every package throws for expected failures. `code` is stable (tests and
 * tools match on it); `message` is for people and never contains the location, which is kept
 * apart so the CLI can print `FILE:LINE: message`.
 */
export class TsbuildError extends Error {
  readonly code: string;
  readonly location: SourceLocation | undefined;
  readonly kind: ErrorKind;
  readonly detail: string[];

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsbuildError';
    this.code = code;
    this.location = options.location;
    this.kind = options.kind ?? 'failure';
    this.detail = options.detail ?? [];
  }

  /** `FILE:LINE: message`, or just the message when there is no location. */
  oneLine(): string {
    return this.location ? `${formatLocation(this.location)}: ${this.message}` : this.message;
  }
}

export function isTsbuildError(value: unknown): value is TsbuildError {
  return value instanceof TsbuildError;
}
