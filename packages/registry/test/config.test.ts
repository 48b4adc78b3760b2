import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dockerCredentials, endpointsFor, isPlainHttpHost, loadHostsConfig, parseChallenge } from '@tsbuild/registry';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-registry-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registry hosts', () => {
  it('merges registries.json, the environment and flags', async () => {
    const root = join(dir, 'root');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'registries.json'), JSON.stringify({ mirrors: { 'docker.io': ['http://127.0.0.1:5000'] }, insecure: ['build-cache:5000'] }));
    const config = await loadHostsConfig(
      root,
      { mirrors: ['quay.io=mirror.internal:443'], insecure: ['flag-host'] },
      { TSBUILD_REGISTRY_MIRRORS: 'localhost:6000', TSBUILD_INSECURE_REGISTRIES: 'a:1, b:2' },
    );
    expect(config.mirrors).toEqual({ 'docker.io': ['http://127.0.0.1:5000', 'http://localhost:6000'], 'quay.io': ['https://mirror.internal:443'] });
    expect(config.insecure).toEqual(['build-cache:5000', 'a:1', 'b:2', 'flag-host']);
    expect(endpointsFor('docker.io', config, 'pull')).toEqual(['http://127.0.0.1:5000', 'http://localhost:6000', 'https://registry-1.docker.io']);
    expect(endpointsFor('docker.io', config, 'push')).toEqual(['https://registry-1.docker.io']);
    expect(endpointsFor('build-cache:5000', config, 'push')).toEqual(['http://build-cache:5000']);
  });

  it('speaks plain HTTP only to loopback and insecure registries', () => {
    const config = { mirrors: {}, insecure: ['insecure.example:5000'] };
    for (const host of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'insecure.example:5000']) expect(isPlainHttpHost(host, config)).toBe(true);
    for (const host of ['docker.io', 'insecure.example', '10.0.0.1:5000', 'localhost.example.com', '128.0.0.1']) expect(isPlainHttpHost(host, config)).toBe(false);
  });

  it('rejects a registries.json that is not JSON, naming the file', async () => {
    const root = join(dir, 'bad');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'registries.json'), '{ mirrors');
    await expect(loadHostsConfig(root, {}, {})).rejects.toMatchObject({ code: 'REGISTRY_CONFIG', message: expect.stringContaining(join(root, 'registries.json')) });
  });
});

describe('credentials', () => {
  it('reads auths, docker.io under its index URL, and credential helpers over their protocol', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-testhelper');
    await writeFile(
      helper,
      '#!/bin/sh\nread server\nif [ "$1" = get ] && [ "$server" = "helped.example" ]; then echo \'{"ServerURL":"helped.example","Username":"robot","Secret":"from-helper"}\'; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n',
    );
    await chmod(helper, 0o755);
    const config = join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') }, 'plain.example': { auth: Buffer.from('u:p:with:colons').toString('base64') } },
        credHelpers: { 'helped.example': 'testhelper', 'missing.example': 'testhelper' },
      }),
    );
    const previousPath = process.env.PATH;
    process.env.PATH = `${bin}:${previousPath}`;
    try {
      const credentials = dockerCredentials(config);
      expect(await credentials('docker.io')).toEqual({ username: 'hubuser', password: 'hubpass' });
      expect(await credentials('plain.example')).toEqual({ username: 'u', password: 'p:with:colons' });
      expect(await credentials('helped.example')).toEqual({ username: 'robot', password: 'from-helper' });
      expect(await credentials('missing.example')).toBeUndefined();
      expect(await credentials('other.example')).toBeUndefined();
    } finally {
      process.env.PATH = previousPath;
    }
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
  });
});
