import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ContentStore, ImageStore } from '@tsbuild/oci';

import { storeTestImage, type TestImage } from '../../../test/support/oci-image.js';
import { humanAge } from '../src/commands/images.js';
import { humanSize } from '../src/format/size.js';
import { main } from '../src/main.js';

let root: string;
let savedRoot: string | undefined;
let image: TestImage;

/** Runs the CLI in-process and collects what it prints. */
async function tsbuild(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => stdout.push(chunk) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => stderr.push(chunk) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-cli-images-'));
  savedRoot = process.env.TSBUILD_ROOT;
  process.env.TSBUILD_ROOT = root;
  image = await storeTestImage(new ContentStore(root), { layers: [{ 'etc/motd': 'hi\n' }], config: { Cmd: ['/bin/sh'] } });
  await new ImageStore(root).tag('app:v1', image.descriptor);
});
afterEach(async () => {
  if (savedRoot === undefined) delete process.env.TSBUILD_ROOT;
  else process.env.TSBUILD_ROOT = savedRoot;
  await rm(root, { recursive: true, force: true });
});

const shortId = () => image.descriptor.digest.slice(7, 19);

describe('tsbuild images / tag / rmi / inspect', () => {
  it('lists images with their ID and size', async () => {
    const { code, stdout } = await tsbuild('images');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const size = image.manifest.config.size + image.manifest.layers[0]!.size;
    expect(lines[1]).toMatch(new RegExp(`^app\\s+v1\\s+${shortId()}\\s+\\d+ \\w+ ago\\s+${humanSize(size)}$`));
    const json = JSON.parse((await tsbuild('images', '--format', 'json')).stdout);
    expect(json).toMatchObject({ Repository: 'app', Tag: 'v1', Digest: image.descriptor.digest, Size: size });
    expect((await tsbuild('images', '-q')).stdout).toBe(`${shortId()}\n`);
  });

  it('tags by name and by image ID, then removes names', async () => {
    expect((await tsbuild('tag', 'app:v1', 'localhost:5000/team/app:v2')).code).toBe(0);
    expect((await tsbuild('tag', shortId(), 'app:stable')).code).toBe(0);
    const names = (await tsbuild('images', '--format', 'json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(names.map((n) => `${n.Repository}:${n.Tag}`)).toEqual(['app:stable', 'app:v1', 'localhost:5000/team/app:v2']);
    expect(new Set(names.map((n) => n.Digest))).toEqual(new Set([image.descriptor.digest]));

    expect(await tsbuild('rmi', 'app:stable')).toMatchObject({ code: 0, stdout: 'Untagged: app:stable\n' });
    // By ID the names span two repositories: refused without --force.
    const refused = await tsbuild('rmi', shortId());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: unable to delete ${shortId()} (must be forced): image is referenced in 2 repositories\n`);
    expect(await tsbuild('rmi', '-f', shortId())).toMatchObject({
      code: 0,
      stdout: 'Untagged: app:v1\nUntagged: localhost:5000/team/app:v2\n',
    });
    expect((await tsbuild('images', '-q')).stdout).toBe('');
  });

  it('reports unknown images and bad names with one-line errors', async () => {
    expect(await tsbuild('rmi', 'nope:1', 'app:v1')).toMatchObject({
      code: 1,
      stdout: 'Untagged: app:v1\n',
      stderr: 'error: no such image: nope:1\n',
    });
    expect(await tsbuild('inspect', 'missing')).toMatchObject({ code: 1, stderr: 'error: no such image: missing\n' });
    expect(await tsbuild('tag', 'app:v1', 'Bad/Name')).toMatchObject({ code: 1, stderr: "error: invalid reference 'Bad/Name': repository name must be lowercase\n" });
    expect((await tsbuild('tag', 'app:v1')).code).toBe(2);
  });

  it('inspects the manifest and config', async () => {
    const { code, stdout } = await tsbuild('inspect', 'app:v1');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed).toMatchObject({ names: ['docker.io/library/app:v1'], descriptor: image.descriptor, manifest: image.manifest, config: image.config });
    expect(JSON.parse((await tsbuild('inspect', '--format', 'config', image.descriptor.digest)).stdout)).toEqual(image.config);
    expect(JSON.parse((await tsbuild('inspect', '--format', 'manifest', shortId())).stdout)).toEqual(image.manifest);
  });

  it('formats sizes and ages as docker does', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(4_260_000)).toBe('4.26MB');
    expect(humanSize(1_000_000)).toBe('1MB');
    const now = Date.parse('2024-01-10T00:00:00Z');
    expect(humanAge('2024-01-09T22:00:00Z', now)).toBe('2 hours ago');
    expect(humanAge('2024-01-01T00:00:00Z', now)).toBe('9 days ago');
  });
});
