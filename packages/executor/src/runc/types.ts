/** What one RUN needs from the OCI runtime: a rootfs already mounted (the overlay merged dir) and the process. */
export interface RunSpec {
  /** Host path of the container's root filesystem, e.g. a mounted overlay's merged directory. */
  rootfs: string;
  /** argv, already shaped by the builder (shell form wrapped in SHELL). */
  args: string[];
  /** `KEY=VALUE` entries. A missing PATH gets Docker's default, as BuildKit adds it for RUN. */
  env: string[];
  /** Absolute working directory inside the container; created (owned by the user) when missing. Default `/`. */
  cwd?: string;
  /** Docker's USER string: `name`, `uid`, `name:group`, `uid:gid`; empty or absent means root. */
  user?: string;
  /** `host` (default) shares the host's network; `none` gives an empty network namespace with only `lo`. */
  network?: 'host' | 'none';
  /** Container hostname, also written to /etc/hostname and /etc/hosts. Default `tsbuild`. */
  hostname?: string;
  /** `--add-host` entries, appended to the generated /etc/hosts. */
  extraHosts?: ExtraHost[];
  /** Additional mounts (RUN --mount), applied after the runtime's own mounts, shallowest first. */
  mounts?: RunMount[];
  /** OCI runtime binary. Default `runc`. */
  runtime?: RuntimeName;
  /** Directory for runtime state and bundles. Default `$TSBUILD_ROOT/runs` (`defaultRoot()` + `/runs`). */
  stateRoot?: string;
}

export type RuntimeName = 'runc' | 'crun';

export interface ExtraHost {
  host: string;
  ip: string;
}

export type RunMount = BindMount | TmpfsMount;

export interface BindMount {
  type: 'bind';
  /** Host path. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readonly?: boolean;
}

export interface TmpfsMount {
  type: 'tmpfs';
  target: string;
  /** Size limit in bytes. */
  size?: number;
}

export type OutputStream = 'stdout' | 'stderr';

export interface RunOptions {
  /** Called once per output line (without its line ending), in order per stream. */
  onOutput?(line: string, stream: OutputStream): void;
  /**
   * Aborting kills the container (SIGKILL), cleans up, and rejects with `signal.reason`. The runtime
   * runs in its own process group, so a terminal's Ctrl-C does not reach the container: the caller
   * turns SIGINT/SIGTERM into an abort.
   */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The command's exit status (128 + signal number when a signal ended it). */
  exitCode: number;
  /**
   * Container paths the runtime had to create in the rootfs because they were missing before the
   * run (mountpoints and their missing parent directories), resolved through the rootfs's symlinks.
   * These now exist in the overlay upperdir although the command did not write them.
   */
  createdMountpoints: string[];
}

/** The user a process runs as, resolved against the rootfs's /etc/passwd and /etc/group. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}
