import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';

import { chainIds, digestHex, DigestingStream, isDigest, sha256Digest } from '@tsbuild/oci';

describe('digests', () => {
  it('hashes bytes and strings', () => {
    expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Digest(Buffer.from('abc'))).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(isDigest('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')).toBe(true);
    expect(isDigest('sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')).toBe(false);
    expect(isDigest('sha256:abc')).toBe(false);
    expect(digestHex('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(() => digestHex('nope')).toThrow(expect.objectContaining({ code: 'INVALID_DIGEST' }));
  });

  it('computes chain IDs as the image spec defines them', () => {
    // Expected values computed independently with `printf '%s %s' A B | sha256sum`.
    const diffIds = [
      'sha256:a9d5d2a02ee5c7d0e5ad4c1b2e08e0e43d4b7bf31f8d7a8ad0c2c7dd8bdcd8c4',
      'sha256:45fdfa6ba0b4d1bea86ce1b6b2a5d2e1f9db2c1fb1d8be1ac6bbf5d8d5a5b06f',
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ];
    expect(chainIds(diffIds)).toEqual([
      diffIds[0],
      'sha256:885e059676848aad7e38540b275a02ebccd3a33d0769ade09bfdbb39ed29f77d',
      'sha256:6cac33370b8715bebaeef1825aa3b6f7b155dc29814646734236284cf0cf72b6',
    ]);
    expect(chainIds([])).toEqual([]);
  });

  it('hashes while streaming', async () => {
    const digesting = new DigestingStream();
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(Readable.from([Buffer.from('a'), Buffer.from('bc')]), digesting, sink);
    expect(digesting.digest()).toBe(sha256Digest('abc'));
    expect(digesting.size).toBe(3);
  });
});
