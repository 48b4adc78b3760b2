/** A place in a source file. Lines and columns are 1-based; end positions are inclusive lines. */
export interface SourceLocation {
  file: string;
  line: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
}

export function formatLocation(loc: SourceLocation): string {
  return loc.column ? `${loc.file}:${loc.line}:${loc.column}` : `${loc.file}:${loc.line}`;
}
