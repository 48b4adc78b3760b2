import { chmodSync, chownSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '@tsbuild/errors';
import { resolveInRoot } from '../copy/scoped-path.js';
import { runtimeMountTargets } from './oci-config.js';
import type { ResolvedUser, RunSpec } from './types.js';

/**
 * Creates the working directory in the rootfs if it is missing, as BuildKit's executor does: each
 * missing component (symlinks resolved inside the rootfs) is made with mode 0755 and owned by the
 * RUN's user and primary group; existing directories are left as they are.
 */
export function ensureWorkdir(rootfs: string, cwd: string, user: Pick<ResolvedUser, 'uid' | 'gid'>): void {
  let prefix = '/';
  for (const part of cwd.split('/').filter((p) => p !== '' && p !== '.')) {
    prefix = path.posix.join(prefix, part);
    const hostPath = resolveInRoot(rootfs, prefix);
    const existing = statOrUndefined(hostPath);
    if (existing?.isDirectory()) continue;
    if (existing) throw new TsbuildError('WORKDIR_NOT_DIRECTORY', `cannot use ${cwd} as working directory: ${prefix} is not a directory`);
    mkdirSync(hostPath);
    chmodSync(hostPath, 0o755);
    chownSync(hostPath, user.uid, user.gid);
  }
}

/**
 * The container paths the runtime will create in the rootfs for `spec`: each mount target that does
 * not exist yet (resolved through the rootfs's symlinks, as runc resolves it) and its missing parent
 * directories. Targets inside an earlier mount (e.g. /dev/pts in the /dev tmpfs) are not in the rootfs.
 */
export function missingMountpoints(rootfs: string, spec: Pick<RunSpec, 'mounts'>): string[] {
  const mounted: string[] = [];
  const missing = new Set<string>();
  for (const target of runtimeMountTargets(spec)) {
    const resolved = containerPath(rootfs, target);
    const insideMount = mounted.some((parent) => resolved === parent || resolved.startsWith(parent === '/' ? '/' : `${parent}/`));
    mounted.push(resolved);
    if (insideMount) continue;
    let prefix = '/';
    for (const part of resolved.split('/').filter(Boolean)) {
      prefix = path.posix.join(prefix, part);
      if (missing.has(prefix) || !exists(path.join(rootfs, prefix))) missing.add(prefix);
    }
  }
  return [...missing];
}

/** A container path with symlinks resolved inside the rootfs, as an absolute container path. */
function containerPath(rootfs: string, target: string): string {
  const relative = path.relative(rootfs, resolveInRoot(rootfs, target));
  return `/${relative}`;
}

function exists(hostPath: string): boolean {
  try {
    lstatSync(hostPath);
    return true;
  } catch {
    return false;
  }
}

function statOrUndefined(hostPath: string) {
  try {
    return statSync(hostPath);
  } catch {
    return undefined;
  }
}
