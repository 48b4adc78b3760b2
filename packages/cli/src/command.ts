/** A CLI command. Each lives in its own file under commands/ and is listed in commands/index.ts. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text: usage, options and examples. */
  help: string;
  /** Returns the process exit code. Throws TsbuildError for expected failures. */
  run(argv: string[]): Promise<number>;
}
