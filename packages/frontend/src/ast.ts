import type { Diagnostic } from '@tsbuild/errors';

/** Lines are 1-based and inclusive, as BuildKit reports them. */
export interface LineRange {
  start: number;
  end: number;
}

/** A heredoc attached to an instruction (`<<EOT`, `<<-EOT`, `<<"EOT"`). */
export interface Heredoc {
  /** The delimiter word without quotes, e.g. `EOT`. */
  name: string;
  /** Body with the final newline kept, tabs stripped for `<<-`. */
  content: string;
  /** False when the delimiter was quoted: the body is not expanded. */
  expand: boolean;
  /** True for `<<-`. */
  chomp: boolean;
}

/**
 * One instruction as written, before any expansion. `args` follows BuildKit's parser output
 * (the `result` files of its conformance data): shell form → one argument with continuations
 * joined; JSON form → one per element; ENV/LABEL → key, value, separator triples; ARG → words.
 */
export interface RawInstruction {
  /** Upper-cased keyword, e.g. `RUN`. */
  keyword: string;
  /** Keyword as written, for casing checks. */
  writtenKeyword: string;
  /** Flags as written, e.g. `--from=build`. */
  flags: string[];
  args: string[];
  /** Exec (JSON) form. */
  json: boolean;
  /** The instruction's text from its first to its last line, as written. */
  original: string;
  heredocs: Heredoc[];
  /** The inner instruction of an ONBUILD. */
  onbuild?: RawInstruction;
  range: LineRange;
}

export interface ParserDirectives {
  syntax?: string;
  escape: '\\' | '`';
  check?: string;
}

export interface ParsedDockerfile {
  /** Path shown in errors, e.g. `Dockerfile` or `examples/hello/Dockerfile`. */
  file: string;
  directives: ParserDirectives;
  instructions: RawInstruction[];
  warnings: Diagnostic[];
}
