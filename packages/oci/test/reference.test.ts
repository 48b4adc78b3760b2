import { describe, expect, it } from 'vitest';

import { parseReference } from '@tsbuild/oci';

// Cases from github.com/distribution/reference normalize_test.go (the parser Docker uses).
const validNames = [
  'docker/docker',
  'library/debian',
  'debian',
  'docker.io/docker/docker',
  'docker.io/library/debian',
  'docker.io/debian',
  'index.docker.io/docker/docker',
  'index.docker.io/library/debian',
  'index.docker.io/debian',
  '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian',
  '127.0.0.1:5000/debian',
  '192.168.0.1',
  '192.168.0.1:80',
  '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian',
  'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
  '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker',
  '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'Docker/docker',
  'DOCKER/docker',
  'docker-rules/docker',
  'docker---rules/docker',
  'doc/docker',
  'd/docker',
  'jess/t',
  'dock__er/docker',
];

const invalidNames = [
  'https://github.com/docker/docker',
  'docker/Docker',
  '-docker',
  '-docker/docker',
  '-docker.io/docker/docker',
  'docker///docker',
  'docker.io/docker/Docker',
  'docker.io/docker///docker',
  '[fc00::1]',
  '[fc00::1]:5000',
  'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian',
  '[2001:db8:3:4::192.0.2.33]:5000/debian',
  '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'docker-/docker',
  '-docker-/docker',
  '____/____',
  '_docker/_docker',
  'dock..er/docker',
  'dock_.er/docker',
  'dock-.er/docker',
  'docker/',
  `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
  '',
  'busybox:',
  'busybox@sha256:abc',
  'busybox:-tag',
];

// [familiar, full, ambiguous?, domain, path]
const repositoryInfo: Array<[string, string, string | undefined, string, string]> = [
  ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io', 'fooo/bar'],
  ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io', 'library/ubuntu'],
  ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', undefined, 'docker.io', 'nonlibrary/ubuntu'],
  ['other/library', 'docker.io/other/library', undefined, 'docker.io', 'other/library'],
  ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', undefined, '127.0.0.1:8000', 'private/moonbase'],
  ['127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', undefined, '127.0.0.1:8000', 'privatebase'],
  ['example.com/private/moonbase', 'example.com/private/moonbase', undefined, 'example.com', 'private/moonbase'],
  ['example.com:8000/privatebasee', 'example.com:8000/privatebasee', undefined, 'example.com:8000', 'privatebasee'],
  ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io', 'library/ubuntu-12.04-base'],
  ['foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io', 'library/foo'],
  ['library/foo/bar', 'docker.io/library/foo/bar', undefined, 'docker.io', 'library/foo/bar'],
  ['store/foo/bar', 'docker.io/store/foo/bar', undefined, 'docker.io', 'store/foo/bar'],
  ['Foo/bar', 'Foo/bar', undefined, 'Foo', 'bar'],
  ['FOO/bar', 'FOO/bar', undefined, 'FOO', 'bar'],
  ['test_com/foo', 'docker.io/test_com/foo', undefined, 'docker.io', 'test_com/foo'],
  ['test-com:8080/foo', 'test-com:8080/foo', undefined, 'test-com:8080', 'foo'],
  ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080/foo', undefined, 'xn--n3h.com:18080', 'foo'],
  ['localhost/foo', 'localhost/foo', undefined, 'localhost', 'foo'],
  ['localhost:5000/x', 'localhost:5000/x', undefined, 'localhost:5000', 'x'],
];

const digest = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';

describe('parseReference', () => {
  it.each(validNames)('accepts %s', (name) => {
    expect(() => parseReference(name)).not.toThrow();
  });

  it.each(invalidNames)('rejects %j with INVALID_REFERENCE naming it', (name) => {
    expect(() => parseReference(name)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE', message: expect.stringContaining(`'${name}'`) }));
  });

  it.each(repositoryInfo)('normalises %s', (familiar, full, ambiguous, domain, path) => {
    for (const input of [familiar, full, ...(ambiguous ? [ambiguous] : [])]) {
      const ref = parseReference(input, { defaultTag: false });
      expect(ref.familiarName).toBe(familiar);
      expect(ref.toString()).toBe(full);
      expect(ref.registry).toBe(domain);
      expect(ref.repository).toBe(path);
    }
  });

  it('adds :latest only when there is neither tag nor digest', () => {
    expect(parseReference('busybox').toString()).toBe('docker.io/library/busybox:latest');
    expect(parseReference('busybox').familiar).toBe('busybox:latest');
    expect(parseReference('localhost:5000/x').toString()).toBe('localhost:5000/x:latest');
    expect(parseReference(`busybox@${digest}`).toString()).toBe(`docker.io/library/busybox@${digest}`);
    expect(parseReference(`busybox@${digest}`).tag).toBeUndefined();
    expect(parseReference('192.168.0.1:80').toString()).toBe('docker.io/library/192.168.0.1:80');
  });

  it('keeps both tag and digest', () => {
    const ref = parseReference(`busybox:latest@${digest}`);
    expect(ref.toString()).toBe(`docker.io/library/busybox:latest@${digest}`);
    expect(ref.familiar).toBe(`busybox:latest@${digest}`);
    expect(ref.tag).toBe('latest');
    expect(ref.digest).toBe(digest);
    expect(ref.tagOrDigest).toBe(digest);
  });

  it('parses ports, tags and digests on private registries', () => {
    const ref = parseReference(`localhost:5000/team/app:v1.2@${digest}`);
    expect([ref.registry, ref.repository, ref.tag, ref.digest]).toEqual(['localhost:5000', 'team/app', 'v1.2', digest]);
    expect(ref.withTag('v2').toString()).toBe('localhost:5000/team/app:v2');
    expect(() => ref.withTag('-bad')).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });
});

describe('parseReference properties', () => {
  it('parses its own output back to the same reference', async () => {
    const fc = (await import('fast-check')).default;
    const component = fc.stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/).filter((s) => s.length <= 30);
    const registry = fc.constantFrom(undefined, 'localhost:5000', 'example.com', 'registry.example.com:443', '[fc00::1]:5000');
    const tag = fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined });
    const hex = fc.stringMatching(/^[a-f0-9]{64}$/);
    const digestArb = fc.option(hex.map((h) => `sha256:${h}`), { nil: undefined });
    fc.assert(
      fc.property(registry, fc.array(component, { minLength: 1, maxLength: 3 }), tag, digestArb, (reg, path, t, d) => {
        const text = `${reg ? `${reg}/` : ''}${path.join('/')}${t ? `:${t}` : ''}${d ? `@${d}` : ''}`;
        if (/^[a-f0-9]{64}$/.test(text)) return;
        // Without a registry, a first component with a dot would be read as a registry name.
        if (!reg && path.length > 1 && path[0]!.includes('.')) return;
        const ref = parseReference(text);
        expect(parseReference(ref.toString()).toString()).toBe(ref.toString());
        expect(parseReference(ref.familiar).toString()).toBe(ref.toString());
        expect(ref.tag).toBe(t ?? (d ? undefined : 'latest'));
        expect(ref.digest).toBe(d);
      }),
      { numRuns: 300 },
    );
  });
});
