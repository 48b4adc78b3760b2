import type { Heredoc } from './ast.js';

/** Shell form keeps the command as one string run by the current SHELL; exec form is argv. */
export type CommandLine = { form: 'shell'; script: string } | { form: 'exec'; argv: string[] };

/** Where `COPY --from` / `RUN --mount from=` / `FROM` takes files from. */
export type SourceRef =
  | { kind: 'stage'; index: number }
  | { kind: 'image'; ref: string }
  | { kind: 'context' }
  | { kind: 'scratch' };

export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target?: string;
  source?: string;
  from?: SourceRef;
  readonly?: boolean;
  id?: string;
  sharing?: 'shared' | 'private' | 'locked';
  mode?: number;
  uid?: number;
  gid?: number;
  required?: boolean;
  /** `type=secret,env=NAME`. */
  env?: string;
  size?: number;
}

export interface HealthcheckSpec {
  /** `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", script]`, as in the image config. */
  test: string[];
  /** Durations in nanoseconds, as the image config stores them; absent when not given. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

interface Base<K extends string> {
  kind: K;
}

export interface FromInstruction extends Base<'FROM'> {
  image: string;
  stageName?: string;
  platform?: string;
}
export interface RunInstruction extends Base<'RUN'> {
  command: CommandLine;
  heredocs: Heredoc[];
  mounts: RunMount[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
}
export interface CopyInstruction extends Base<'COPY' | 'ADD'> {
  sources: string[];
  dest: string;
  /** Heredoc sources (`COPY <<EOT /path`), expanded unless quoted. */
  heredocs: Heredoc[];
  from?: SourceRef;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD only. */
  checksum?: string;
  keepGitDir?: boolean;
  unpack?: boolean;
}
export interface KeyValueInstruction extends Base<'ENV' | 'LABEL'> {
  pairs: Array<[string, string]>;
}
export interface ArgInstruction extends Base<'ARG'> {
  args: Array<{ name: string; default?: string }>;
}
export interface WorkdirInstruction extends Base<'WORKDIR'> {
  path: string;
}
export interface UserInstruction extends Base<'USER'> {
  user: string;
}
export interface ExposeInstruction extends Base<'EXPOSE'> {
  /** Normalised `PORT/proto`, proto lower-case, default `tcp`. */
  ports: string[];
}
export interface VolumeInstruction extends Base<'VOLUME'> {
  paths: string[];
}
export interface ShellInstruction extends Base<'SHELL'> {
  shell: string[];
}
export interface CommandInstruction extends Base<'CMD' | 'ENTRYPOINT'> {
  command: CommandLine;
}
export interface HealthcheckInstruction extends Base<'HEALTHCHECK'> {
  healthcheck: HealthcheckSpec;
}
export interface StopSignalInstruction extends Base<'STOPSIGNAL'> {
  signal: string;
}
export interface OnbuildInstruction extends Base<'ONBUILD'> {
  /** The trigger as Docker stores it in the config: the inner instruction's text. */
  trigger: string;
}
export interface MaintainerInstruction extends Base<'MAINTAINER'> {
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | KeyValueInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | VolumeInstruction
  | ShellInstruction
  | CommandInstruction
  | HealthcheckInstruction
  | StopSignalInstruction
  | OnbuildInstruction
  | MaintainerInstruction;
