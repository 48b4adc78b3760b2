import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { runContainer, runtimeMountTargets, type RunSpec } from '../src/runc/index.js';
import { makeBusyboxRootfs, mountOverlay, mountsUnder, outputCollector, runcList, type Overlay } from './runc-support.js';

let base: string;
let lower: string;
let stateRoot: string;
const mounted: Overlay[] = [];

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'tsbuild-runc-'));
  lower = makeBusyboxRootfs(path.join(base, 'lower'));
  stateRoot = path.join(base, 'state');
});

afterEach(() => {
  for (const overlay of mounted.splice(0)) overlay.unmount();
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

function overlay(lowerDirs = lower): Overlay {
  const result = mountOverlay(lowerDirs);
  mounted.push(result);
  return result;
}

function spec(rootfs: string, args: string[], extra: Partial<RunSpec> = {}): RunSpec {
  return { rootfs, args, env: [], stateRoot, ...extra };
}

/** Every path in `dir`, relative, sorted ('a', 'a/b', ...). */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix))
    .sort()
    .flatMap((name) => {
      const rel = path.join(prefix, name);
      return statSync(path.join(dir, rel), { throwIfNoEntry: false })?.isDirectory() ? [rel, ...tree(dir, rel)] : [rel];
    });
}

describe('runContainer', () => {
  it('streams stdout and stderr line by line and returns the exit code', async () => {
    const { merged } = overlay();
    const output = outputCollector();
    const result = await runContainer(spec(merged, ['sh', '-c', 'echo one; echo two >&2; printf "three\\nfour"; exit 0']), output);
    expect(result.exitCode).toBe(0);
    expect(output.stdout).toEqual(['one', 'three', 'four']);
    expect(output.stderr).toEqual(['two']);
  });

  it('passes a huge line on in bounded pieces', async () => {
    const { merged } = overlay();
    const output = outputCollector();
    await runContainer(spec(merged, ['sh', '-c', "head -c 150000 /dev/zero | tr '\\0' a; echo; echo end"]), output);
    expect(output.stdout.map((line) => line.length)).toEqual([65536, 65536, 150000 - 2 * 65536, 3]);
    expect(output.stdout.at(-1)).toBe('end');
  });

  it('returns a non-zero exit code instead of failing', async () => {
    const { merged } = overlay();
    const result = await runContainer(spec(merged, ['sh', '-c', 'exit 7']));
    expect(result.exitCode).toBe(7);
    expect(runcList(path.join(stateRoot, 'runc'))).toEqual([]);
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([]);
  });

  it('passes env and cwd, adds the default PATH, and creates a missing cwd owned by the user', async () => {
    const { merged, upper } = overlay();
    const output = outputCollector();
    const run = spec(merged, ['sh', '-c', 'pwd; env | sort'], { env: ['GREETING=hello world', 'EMPTY='], cwd: '/work/dir', user: 'app' });
    expect((await runContainer(run, output)).exitCode).toBe(0);
    expect(output.stdout[0]).toBe('/work/dir');
    expect(output.stdout).toEqual(
      expect.arrayContaining(['GREETING=hello world', 'EMPTY=', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/home/app']),
    );
    for (const dir of ['work', 'work/dir']) {
      const info = statSync(path.join(upper, dir));
      expect([info.uid, info.gid, info.mode & 0o7777]).toEqual([1000, 1000, 0o755]);
    }
  });

  it('runs as a user by name with its primary and supplementary groups', async () => {
    const { merged } = overlay();
    const ids = async (user: string) => {
      const output = outputCollector();
      await runContainer(spec(merged, ['id'], { user }), output);
      return output.stdout;
    };
    // As BuildKit: the primary group, then the groups that list the user (busybox id prints getgroups()).
    expect(await ids('app')).toEqual(['uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)']);
    expect(await ids('app:extra')).toEqual(['uid=1000(app) gid=2000(extra) groups=2000(extra)']);
    expect(await ids('4242')).toEqual(['uid=4242 gid=0(root) groups=0(root)']);
    expect(await ids('')).toEqual(['uid=0(root) gid=0(root) groups=0(root)']);
  });

  it('refuses an unknown user name before starting anything', async () => {
    const { merged } = overlay();
    const failure = runContainer(spec(merged, ['id'], { user: 'nobody' }));
    await expect(failure).rejects.toMatchObject({ code: 'USER_NOT_FOUND', message: 'unable to find user nobody: no matching entries in passwd file' });
  });

  it('gives --network=none an empty network namespace with only lo, and the host network by default', async () => {
    const { merged } = overlay();
    const interfaces = async (network: 'host' | 'none') => {
      const output = outputCollector();
      await runContainer(spec(merged, ['cat', '/proc/net/dev'], { network }), output);
      return output.stdout.slice(2).map((line) => line.trim().split(':')[0]).sort();
    };
    const hostInterfaces = readFileSync('/proc/net/dev', 'utf8').trim().split('\n').slice(2).map((line) => line.trim().split(':')[0]).sort();
    expect(await interfaces('none')).toEqual(['lo']);
    expect(await interfaces('host')).toEqual(hostInterfaces);
    const output = outputCollector();
    await runContainer(spec(merged, ['sh', '-c', 'ip link show lo | head -1'], { network: 'none' }), output);
    expect(output.stdout[0]).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
  });

  it('generates /etc/hosts, /etc/hostname and /etc/resolv.conf, read-only', async () => {
    const { merged } = overlay();
    const output = outputCollector();
    const script = 'cat /etc/hosts; echo --; cat /etc/hostname; hostname; echo --; grep -c nameserver /etc/resolv.conf; echo x >> /etc/hosts';
    const run = spec(merged, ['sh', '-c', script], { hostname: 'builder', extraHosts: [{ host: 'registry.local', ip: '10.1.2.3' }] });
    expect((await runContainer(run, output)).exitCode).toBe(1);
    const nameservers = Number(output.stdout.pop());
    expect(nameservers).toBeGreaterThan(0);
    expect(output.stdout).toEqual([
      '127.0.0.1\tlocalhost builder',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '10.1.2.3\tregistry.local',
      '--',
      'builder',
      'builder',
      '--',
    ]);
    expect(output.stderr).toEqual(['sh: can\'t create /etc/hosts: Read-only file system']);
  });

  it("applies Docker's capabilities (none effective for a non-root user), read-only /sys and masked /proc paths", async () => {
    const { merged } = overlay();
    const status = async (user: string) => {
      const output = outputCollector();
      await runContainer(spec(merged, ['grep', '^Cap', '/proc/self/status'], { user }), output);
      return output.stdout.map((line) => line.replace(/\s+/, ' '));
    };
    expect(await status('')).toEqual([
      'CapInh: 0000000000000000',
      'CapPrm: 00000000a80425fb',
      'CapEff: 00000000a80425fb',
      'CapBnd: 00000000a80425fb',
      'CapAmb: 0000000000000000',
    ]);
    expect(await status('app')).toEqual([
      'CapInh: 0000000000000000',
      'CapPrm: 0000000000000000',
      'CapEff: 0000000000000000',
      'CapBnd: 00000000a80425fb',
      'CapAmb: 0000000000000000',
    ]);
    const output = outputCollector();
    const script = 'grep -E " /(sys|proc|dev|dev/pts|dev/shm|dev/mqueue) " /proc/mounts | cut -d" " -f2,3,4 | cut -d, -f1; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; ulimit -n';
    await runContainer(spec(merged, ['sh', '-c', script]), output);
    expect(output.stdout.slice(0, -1)).toEqual(['/proc proc rw', '/dev tmpfs rw', '/dev/pts devpts rw', '/dev/shm tmpfs rw', '/dev/mqueue mqueue rw', '/sys sysfs ro', '0', '0']);
    expect(Number(output.stdout.at(-1))).toBeGreaterThanOrEqual(1024);
    const devices = outputCollector();
    await runContainer(spec(merged, ['sh', '-c', 'ls /dev; echo ok > /dev/null']), devices);
    expect(devices.stdout).toEqual(expect.arrayContaining(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue', 'fd', 'stdout']));
    expect(devices.stderr).toEqual([]);
  });

  it('leaves in the upperdir what the command wrote and the mountpoints runc had to create, and reports those', async () => {
    const { merged, upper } = overlay();
    const result = await runContainer(spec(merged, ['sh', '-c', 'echo data > /out.txt']));
    expect(result.exitCode).toBe(0);
    // The rootfs had no /proc, /dev, /sys or /etc files: runc created them as empty mountpoints.
    expect(tree(upper)).toEqual(['dev', 'etc', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'out.txt', 'proc', 'sys']);
    for (const file of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) expect(statSync(path.join(upper, file)).size).toBe(0);
    expect(result.createdMountpoints.sort()).toEqual(['/dev', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys']);
    expect(runtimeMountTargets({})).toEqual([
      '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname',
    ]);
  });

  it('creates nothing in the upperdir for mountpoints the lower layers already have', async () => {
    const withMountpoints = path.join(base, 'with-mountpoints');
    for (const dir of ['proc', 'dev', 'sys', 'etc']) mkdirSync(path.join(withMountpoints, dir), { recursive: true });
    for (const file of ['hosts', 'resolv.conf', 'hostname']) writeFileSync(path.join(withMountpoints, 'etc', file), 'from the image\n');
    const { merged, upper } = overlay(`${withMountpoints}:${lower}`);
    const result = await runContainer(spec(merged, ['sh', '-c', 'echo data > /out.txt; cat /etc/hostname'], { hostname: 'h' }));
    expect(result.exitCode).toBe(0);
    expect(tree(upper)).toEqual(['out.txt']);
    expect(result.createdMountpoints).toEqual([]);
    expect(readFileSync(path.join(merged, 'etc', 'hosts'), 'utf8')).toBe('from the image\n');
  });

  it('kills the container and cleans up when aborted mid-run', async () => {
    const { merged } = overlay();
    const controller = new AbortController();
    const started: string[] = [];
    const run = runContainer(spec(merged, ['sh', '-c', 'echo started; sleep 30']), {
      signal: controller.signal,
      onOutput(line) {
        started.push(line);
        controller.abort(new Error('stop now'));
      },
    });
    await expect(run).rejects.toThrow('stop now');
    expect(started).toEqual(['started']);
    expect(runcList(path.join(stateRoot, 'runc'))).toEqual([]);
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([]);
    expect(mountsUnder(stateRoot)).toEqual([]);
    expect(mountsUnder(merged)).toEqual([merged]);
  });

  it('cleans up when aborted before the container exists, and refuses to start when already aborted', async () => {
    const { merged } = overlay();
    const controller = new AbortController();
    const run = runContainer(spec(merged, ['sleep', '30']), { signal: controller.signal });
    controller.abort(new Error('early stop'));
    await expect(run).rejects.toThrow('early stop');
    await expect(runContainer(spec(merged, ['true']), { signal: controller.signal })).rejects.toThrow('early stop');
    expect(runcList(path.join(stateRoot, 'runc'))).toEqual([]);
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([]);
  });

  it('refuses a working directory that is a file', async () => {
    const { merged } = overlay();
    writeFileSync(path.join(merged, 'tmp', 'file'), '');
    await expect(runContainer(spec(merged, ['true'], { cwd: '/tmp/file/sub' }))).rejects.toMatchObject({
      code: 'WORKDIR_NOT_DIRECTORY',
      message: 'cannot use /tmp/file/sub as working directory: /tmp/file is not a directory',
    });
  });

  it('fails with RUNTIME_ERROR when the container cannot start', async () => {
    const { merged } = overlay();
    const output = outputCollector();
    const failure = runContainer(spec(merged, ['/no/such/program']), output);
    await expect(failure).rejects.toBeInstanceOf(TsbuildError);
    await expect(failure).rejects.toMatchObject({
      code: 'RUNTIME_ERROR',
      message: expect.stringMatching(/^runc could not run the container: .*exec: "\/no\/such\/program": stat \/no\/such\/program: no such file or directory$/),
    });
    // runc's own message is the error, not command output.
    expect(output.stderr).toEqual([]);
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([]);
  });

  it('explains that crun cannot run here', async () => {
    const { merged } = overlay();
    await expect(runContainer(spec(merged, ['true'], { runtime: 'crun' }))).rejects.toMatchObject({
      code: 'RUNTIME_ERROR',
      message: 'crun cannot run containers on this host (cgroups in hybrid mode not supported): use the default runtime, runc',
    });
    expect(readdirSync(path.join(stateRoot, 'bundles'))).toEqual([]);
  });

  it('says how to install a missing runtime', async () => {
    const { merged } = overlay();
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(base, 'empty-path');
    try {
      await expect(runContainer(spec(merged, ['true']))).rejects.toMatchObject({ code: 'RUNTIME_ERROR', message: 'runc not found: apt-get install runc' });
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('mounts extra bind and tmpfs mounts', async () => {
    const { merged, upper } = overlay();
    const cache = path.join(base, 'cache');
    mkdirSync(cache, { recursive: true });
    const output = outputCollector();
    const run = spec(merged, ['sh', '-c', 'echo cached > /var/cache/x/file; echo tmp > /scratch/file; grep -c "" /scratch/file'], {
      mounts: [
        { type: 'bind', source: cache, target: '/var/cache/x' },
        { type: 'tmpfs', target: '/scratch' },
      ],
    });
    const result = await runContainer(run, output);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(cache, 'file'), 'utf8')).toBe('cached\n');
    expect(tree(upper)).toEqual(expect.arrayContaining(['scratch', 'var', 'var/cache', 'var/cache/x']));
    expect(tree(upper)).not.toContain('scratch/file');
    expect(result.createdMountpoints).toEqual(expect.arrayContaining(['/var', '/var/cache', '/var/cache/x', '/scratch']));
  });
});

it('uses its own runc root, invisible to the default one', () => {
  expect(execFileSync('runc', ['list', '--format', 'json'], { encoding: 'utf8' }).includes('tsbuild-')).toBe(false);
});
