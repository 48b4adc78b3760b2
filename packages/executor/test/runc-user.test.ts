import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostsFile, parseExtraHost, resolvConf, resolveUser } from '../src/runc/index.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function rootfs(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbuild-runc-user-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1000::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1000:\nextra:x:2000:app,web\naudio:x:29:app\nwww:x:33:\n';

describe('resolveUser (BuildKit and runc rules)', () => {
  const root = rootfs({ 'etc/passwd': PASSWD, 'etc/group': GROUP });

  it.each([
    ['', { uid: 0, gid: 0, additionalGids: [] }],
    ['app', { uid: 1000, gid: 1000, additionalGids: [2000, 29] }],
    ['1000', { uid: 1000, gid: 1000, additionalGids: [2000, 29] }],
    ['web', { uid: 33, gid: 33, additionalGids: [2000] }],
    ['app:extra', { uid: 1000, gid: 2000, additionalGids: [] }],
    ['app:33', { uid: 1000, gid: 33, additionalGids: [] }],
    ['app:4000', { uid: 1000, gid: 4000, additionalGids: [] }],
    ['4242', { uid: 4242, gid: 0, additionalGids: [] }],
    ['4242:www', { uid: 4242, gid: 33, additionalGids: [] }],
    ['1000:1000', { uid: 1000, gid: 1000, additionalGids: [] }],
    ['root:root', { uid: 0, gid: 0, additionalGids: [] }],
    ['root', { uid: 0, gid: 0, additionalGids: [] }],
  ])('%j', (user, expected) => {
    expect(resolveUser(root, user)).toEqual(expected);
  });

  it('refuses unknown names with BuildKit messages', () => {
    expect(() => resolveUser(root, 'nobody')).toThrow(expect.objectContaining({ code: 'USER_NOT_FOUND', message: 'unable to find user nobody: no matching entries in passwd file' }));
    expect(() => resolveUser(root, 'app:staff')).toThrow(expect.objectContaining({ code: 'GROUP_NOT_FOUND', message: 'unable to find group staff: no matching entries in group file' }));
  });

  it('works without /etc/passwd for numeric users only', () => {
    const empty = rootfs({});
    expect(resolveUser(empty, '1234')).toEqual({ uid: 1234, gid: 0, additionalGids: [] });
    expect(resolveUser(empty, '1234:5')).toEqual({ uid: 1234, gid: 5, additionalGids: [] });
    expect(() => resolveUser(empty, 'app')).toThrow(expect.objectContaining({ code: 'USER_NOT_FOUND' }));
  });

  it('reads /etc/passwd through symlinks inside the rootfs, never the host', () => {
    const linked = rootfs({ 'data/passwd': 'svc:x:77:78::/:/bin/sh\n' });
    mkdirSync(path.join(linked, 'etc'));
    symlinkSync('/data/passwd', path.join(linked, 'etc', 'passwd'));
    expect(resolveUser(linked, 'svc')).toEqual({ uid: 77, gid: 78, additionalGids: [] });
  });
});

describe('generated /etc files', () => {
  it('writes BuildKit-style hosts with --add-host entries', () => {
    expect(hostsFile('box', [parseExtraHost('db:10.0.0.5'), parseExtraHost('v6=::1'), parseExtraHost('h:[fe80::1]')])).toBe(
      '127.0.0.1\tlocalhost box\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.5\tdb\n::1\tv6\nfe80::1\th\n',
    );
    expect(() => parseExtraHost('nohost')).toThrow(expect.objectContaining({ code: 'INVALID_ADD_HOST' }));
  });

  it('keeps the host resolv.conf on the host network, drops loopback servers without a network', () => {
    const file = path.join(rootfs({ 'resolv.conf': 'search example.com\nnameserver 127.0.0.53\n' }), 'resolv.conf');
    expect(resolvConf('host', file)).toBe('search example.com\nnameserver 127.0.0.53\n');
    expect(resolvConf('none', file)).toBe(
      'search example.com\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n',
    );
    expect(resolvConf('host', '/nonexistent/resolv.conf')).toMatch(/^nameserver 8\.8\.8\.8\n/);
  });
});
