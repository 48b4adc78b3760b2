import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedUser, RunMount, RunSpec } from './types.js';

/** Docker's default PATH, which BuildKit adds to a RUN whose environment has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The kernel filesystems every container gets (containerd's and Docker's defaults). */
const SYSTEM_MOUNTS: OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

/** Generated files bind-mounted read-only from the bundle directory: container path → bundle file name. */
export const GENERATED_FILES = { '/etc/hosts': 'hosts', '/etc/resolv.conf': 'resolv.conf', '/etc/hostname': 'hostname' } as const;

/**
 * Every mount target a run of `spec` uses, in mount order: the kernel filesystems, the generated
 * /etc files and the spec's extra mounts.
 *
 * Contract with the layer diff: the runtime creates each target that is missing in the rootfs
 * (with its missing parent directories) in the overlay upperdir, as an empty directory, or an empty
 * file for a bind-mounted file. None of these belong in a layer unless the lower layers already
 * had them; `runContainer` reports exactly which ones it found missing (`createdMountpoints`), and
 * the diff leaves those out (a created parent directory stays if the command wrote something else
 * into it). Targets below another mount (e.g. /dev/pts inside the /dev tmpfs) never reach the rootfs.
 */
export function runtimeMountTargets(spec: Pick<RunSpec, 'mounts'>): string[] {
  return [...SYSTEM_MOUNTS.map((mount) => mount.destination), ...Object.keys(GENERATED_FILES), ...sortedExtraMounts(spec.mounts).map((m) => m.target)];
}

/** The OCI runtime config (config.json) for one run. `bundleDir` holds the generated /etc files. */
export function runtimeConfig(spec: RunSpec, user: ResolvedUser, bundleDir: string): object {
  const network = spec.network ?? 'host';
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (network === 'none') namespaces.push({ type: 'network' });
  // Docker gives a non-root user only the bounding set, as execve would (no effective caps).
  const capabilities =
    user.uid === 0
      ? { bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES }
      : { bounding: DEFAULT_CAPABILITIES };
  const nofile = nofileLimit();
  return {
    ociVersion: '1.0.2',
    root: { path: spec.rootfs, readonly: false },
    hostname: spec.hostname ?? 'tsbuild',
    process: {
      terminal: false,
      // The primary gid is always a supplementary group too (CVE-2022-36109; BuildKit, Docker, buildah).
      user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set([user.gid, ...user.additionalGids])] },
      args: spec.args,
      env: withDefaultPath(spec.env),
      cwd: spec.cwd ?? '/',
      capabilities,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
      noNewPrivileges: false,
    },
    mounts: [...SYSTEM_MOUNTS, ...generatedFileMounts(bundleDir), ...sortedExtraMounts(spec.mounts).map(extraMount)],
    linux: {
      namespaces,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

/**
 * Docker and buildah raise RLIMIT_NOFILE to 1048576; without CAP_SYS_RESOURCE the runtime cannot go
 * above our own hard limit, so that caps it.
 */
function nofileLimit(): number {
  const wanted = 1048576;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.split(/\s{2,}/)[2];
    return hard === undefined || hard === 'unlimited' ? wanted : Math.min(wanted, Number(hard));
  } catch {
    return wanted;
  }
}

function withDefaultPath(env: string[]): string[] {
  return env.some((entry) => entry.startsWith('PATH=')) ? env : [...env, `PATH=${DEFAULT_PATH}`];
}

function generatedFileMounts(bundleDir: string): OciMount[] {
  return Object.entries(GENERATED_FILES).map(([destination, file]) => ({
    destination,
    type: 'bind',
    source: path.join(bundleDir, file),
    options: ['rbind', 'ro'],
  }));
}

/** Shallower targets first, so a mount inside another extra mount lands on top of it. */
function sortedExtraMounts(mounts: RunMount[] = []): RunMount[] {
  const depth = (target: string) => path.posix.normalize(target).split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.target) - depth(b.target));
}

function extraMount(mount: RunMount): OciMount {
  if (mount.type === 'bind') {
    return { destination: mount.target, type: 'bind', source: mount.source, options: ['rbind', mount.readonly ? 'ro' : 'rw'] };
  }
  const size = mount.size === undefined ? [] : [`size=${mount.size}`];
  return { destination: mount.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'strictatime', ...size] };
}
