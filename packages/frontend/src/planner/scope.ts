import type { ExpansionEnv } from '../shell/index.js';

/**
 * The variables an instruction sees while its words are expanded: ENV always wins over an ARG of
 * the same name (Dockerfile reference, "Using ARG variables"). An ARG in scope without a value is
 * unset, not empty.
 */
export class Scope {
  readonly env: Array<[string, string]>;
  readonly args: Map<string, string | undefined>;

  constructor(env: Array<[string, string]> = [], args: Map<string, string | undefined> = new Map()) {
    this.env = env;
    this.args = args;
  }

  lookup(name: string): string | undefined {
    for (let i = this.env.length - 1; i >= 0; i--) {
      const entry = this.env[i]!;
      if (entry[0] === name) return entry[1];
    }
    return this.args.get(name);
  }

  asExpansionEnv(): ExpansionEnv {
    return (name) => this.lookup(name);
  }

  withEnv(pairs: Array<[string, string]>): Scope {
    const env = this.env.filter(([k]) => !pairs.some(([n]) => n === k));
    return new Scope([...env, ...pairs], this.args);
  }

  withArg(name: string, value: string | undefined): Scope {
    const args = new Map(this.args);
    args.delete(name); // re-declaring moves it to the end, as declaration order matters for RUN env
    args.set(name, value);
    return new Scope(this.env, args);
  }

  /** ARGs that have a value, in declaration order. */
  definedArgs(): Array<[string, string]> {
    return [...this.args].filter((e): e is [string, string] => e[1] !== undefined);
  }
}
