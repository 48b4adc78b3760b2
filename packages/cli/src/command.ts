/** A CLI command. Each lives in its own file under commands/ and is listed in commands/index.ts. */
export interface Command {
  name: string;
  /** Kept for compatibility; the dispatcher takes summaries from commands/index.ts. */
  summary?: string;
  /** Full help text: usage, options and examples. */
  help: string;
  /** Returns the process exit code. Throws TsbuildError for expected failures. */
  run(argv: string[]): Promise<number>;
}

/**
 * A command as the dispatcher knows it before loading it: the module (and the packages it needs)
 * is imported only when the command runs, so `tsbuild --version` does not load the builder.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}
