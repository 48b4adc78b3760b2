/**
 * RUN on a real OCI runtime (runc by default, crun selectable): one throwaway container per
 * command on an already-mounted rootfs, output streamed line by line, cleanup on every path.
 */
export { runContainer } from './run-container.js';
export { cleanupStaleContainers, type StaleCleanup } from './stale.js';
export { runtimeMountTargets, runtimeConfig, DEFAULT_CAPABILITIES, DEFAULT_PATH } from './oci-config.js';
export { ensureWorkdir, missingMountpoints } from './rootfs-paths.js';
export { resolveUser } from './user.js';
export { hostsFile, parseExtraHost, resolvConf } from './etc-files.js';
export { defaultRunsRoot } from './state-dirs.js';
export type {
  BindMount,
  ExtraHost,
  OutputStream,
  ResolvedUser,
  RunMount,
  RunOptions,
  RunResult,
  RunSpec,
  RuntimeName,
  TmpfsMount,
} from './types.js';
