import type { SourceLocation } from './location.js';

export type Severity = 'error' | 'warning' | 'info';

/** A non-fatal finding (a warning from the front end, a lint finding): a value, printed by the CLI. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  location?: SourceLocation;
}
