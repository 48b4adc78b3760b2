import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { RunMount, Step } from '@tsbuild/frontend';
import type { RunMount as ContainerMount } from '@tsbuild/executor';
import { resolveInRoot } from '@tsbuild/executor';
import { processAlive } from '@tsbuild/oci';

/** What the builder gives RUN mounts: a mounted root for a `from=` source and the context dir. */
export interface MountSources {
  contextDir: string;
  /** Root directory of a stage or image a mount reads from (mounted by the caller). */
  rootOf(mount: RunMount): Promise<string>;
  /** `--secret id=ID,src=PATH` given on the command line. */
  secrets: Record<string, string>;
  /** `--ssh ID=SOCKET`: agent sockets by id. */
  sshSockets: Record<string, string>;
  /** A throwaway writable view of a context path (`rw` binds must not change the user's files). */
  writableCopy(hostPath: string): Promise<string>;
  /** Writes a secret into a file in memory with the mount's mode and owner; returns its path. */
  secretFile(id: string, content: Buffer, mode: number, uid: number, gid: number): string;
  /** A fresh, build-private directory for a private cache mount that is in use. */
  privateDir(): string;
  /** Host directory of a cache mount. */
  cacheDir(id: string): string;
}

/** Turns `RUN --mount` specs into the runtime's bind and tmpfs mounts, as BuildKit does. */
export async function containerMounts(step: Step, mounts: RunMount[], sources: MountSources): Promise<ContainerMounts> {
  const result: ContainerMount[] = [];
  const env: string[] = [];
  /** Lock files to hold for the whole RUN (sharing=locked), and those taken already (private). */
  const locks: string[] = [];
  const held: string[] = [];
  let sshCount = 0;
  for (const mount of mounts) {
    const target = mount.target === undefined ? undefined : path.posix.resolve(step.state.workdir, mount.target);
    switch (mount.type) {
      case 'tmpfs':
        result.push({ type: 'tmpfs', target: required(target, mount, step.location), ...(mount.size ? { size: mount.size } : {}) });
        break;
      case 'cache': {
        let dir = sources.cacheDir(mount.id ?? required(target, mount, step.location));
        const lock = `${dir}.lock`;
        if (mount.sharing === 'locked') locks.push(lock);
        // private: a writer that finds the cache in use gets a fresh directory of its own.
        if (mount.sharing === 'private' && !tryLock(lock, held)) dir = sources.privateDir();
        if (!existsSync(dir) || readdirSync(dir).length === 0) {
          // A new cache directory gets the mount's mode and owner (BuildKit: 0755, root), and
          // the contents of `from` (a stage or image) at `source` when given.
          mkdirSync(dir, { recursive: true });
          chmodSync(dir, mount.mode ?? 0o755);
          chownSync(dir, mount.uid ?? 0, mount.gid ?? 0);
          if (mount.from) execFileSync('cp', ['-a', `${resolveInRoot(await sources.rootOf(mount), mount.source ?? '/')}/.`, dir]);
        }
        result.push({ type: 'bind', source: dir, target: required(target, mount, step.location), readonly: mount.readonly ?? false });
        break;
      }
      case 'bind': {
        const root = mount.from ? await sources.rootOf(mount) : sources.contextDir;
        let source = resolveInRoot(root, mount.source ?? '/');
        if (!existsSync(source)) {
          throw new TsbuildError('MOUNT_SOURCE_NOT_FOUND', `bind mount source ${mount.source ?? '/'} does not exist`, { location: step.location });
        }
        const readonly = mount.readonly ?? true;
        // Writes through an rw bind are discarded, as in BuildKit: stage roots are throwaway
        // overlays already; the context gets one here.
        if (!readonly && !mount.from) source = await sources.writableCopy(source);
        result.push({ type: 'bind', source, target: required(target, mount, step.location), readonly });
        break;
      }
      case 'secret': {
        const id = mount.id ?? path.posix.basename(target ?? '');
        const file = sources.secrets[id];
        if (file === undefined) {
          if (mount.required) throw new TsbuildError('SECRET_NOT_FOUND', `secret ${id} not found: pass it with --secret id=${id},src=FILE`, { location: step.location });
          break;
        }
        const content = readFileSync(file);
        if (mount.env) env.push(`${mount.env}=${content.toString('utf8')}`);
        if (mount.env && mount.target === undefined) break;
        // BuildKit's secret file: mode 0400 and root-owned unless the mount says otherwise.
        const copy = sources.secretFile(id, content, mount.mode ?? 0o400, mount.uid ?? 0, mount.gid ?? 0);
        result.push({ type: 'bind', source: copy, target: target ?? `/run/secrets/${id}`, readonly: true });
        break;
      }
      case 'ssh': {
        // The agent socket given with --ssh ID[=SOCKET], at BuildKit's default place, named by SSH_AUTH_SOCK.
        const id = mount.id ?? 'default';
        const socket = sources.sshSockets[id];
        if (socket === undefined) {
          if (mount.required === false) break;
          throw new TsbuildError('SSH_NOT_FOUND', `no SSH agent for RUN --mount=type=ssh,id=${id}: pass --ssh ${id} (with SSH_AUTH_SOCK set) or --ssh ${id}=SOCKET`, { location: step.location });
        }
        const sshTarget = target ?? `/run/buildkit/ssh_agent.${sshCount++}`;
        result.push({ type: 'bind', source: socket, target: sshTarget, readonly: true });
        env.push(`SSH_AUTH_SOCK=${sshTarget}`);
        break;
      }
    }
  }
  return { mounts: result, env, locks, held };
}

export interface ContainerMounts {
  mounts: ContainerMount[];
  env: string[];
  /** Take these (blocking) for the RUN: cache mounts with sharing=locked. */
  locks: string[];
  /** Lock files this RUN holds already (sharing=private); remove them after it. */
  held: string[];
}

/** Takes a lock file if nobody holds it (a dead holder's is taken over), without waiting. */
function tryLock(path: string, held: string[]): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      held.push(path);
      return true;
    } catch {
      const pid = Number(readFileSyncSafe(path));
      if (!Number.isInteger(pid) || processAlive(pid)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Cache mounts live under `<root>/cache/mounts/<sha256 of id>`, shared by every build. */
export function cacheMountDir(root: string, id: string): string {
  return path.join(root, 'cache', 'mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
}

function required(target: string | undefined, mount: RunMount, location: SourceLocation): string {
  if (target === undefined) throw new TsbuildError('BAD_FLAG_VALUE', `--mount type=${mount.type} needs a target`, { location });
  return target;
}
