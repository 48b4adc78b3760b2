import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRoot, diskUsage, pruneRoot } from '@tsbuild/builder';
import { loadImage } from '@tsbuild/oci';

import { testRoot, type TestRoot } from './support/build-root.js';
import { repoRoot } from './support/paths.js';

let t: TestRoot;
beforeAll(async () => {
  t = await testRoot();
});
afterAll(() => t?.cleanup());

const hello = join(repoRoot, 'examples/hello');
const helloDockerfile = () => readFileSync(join(hello, 'Dockerfile'), 'utf8');
const records = () => readdirSync(join(t.root, 'cache', 'steps')).filter((n) => n.endsWith('.json'));
/** The files under cache/trails/ (why a step missed), and the step key each starts with. */
const trails = () => {
  const dir = join(t.root, 'cache', 'trails');
  return existsSync(dir) ? readdirSync(dir).map((name) => ({ name, key: readFileSync(join(dir, name), 'utf8').split('\n')[0]! })) : [];
};
/** Every trail's key has its record: none is left of a step whose cached result is gone. */
const expectTrailsOfRecordsOnly = () => {
  const keys = new Set(records().map((n) => `sha256:${n.slice(0, -'.json'.length)}`));
  expect(trails().filter((trail) => !keys.has(trail.key))).toEqual([]);
};

describe('tsbuild check and prune', () => {
  it('prunes what no name needs, keeps named images whole, and check stays clean', async () => {
    const kept = await t.build(helloDockerfile(), {}, { contextDir: hello });
    await t.registry.images.tag('kept:latest', kept.image.descriptor);
    const dropped = await t.build('FROM busybox\nRUN echo unnamed > /x\n');
    expect((await checkRoot(t.root)).problems).toEqual([]);
    // A trail in the form of earlier versions (<hash>.json) goes with the first prune.
    mkdirSync(join(t.root, 'cache', 'trails'), { recursive: true });
    writeFileSync(join(t.root, 'cache', 'trails', `${'0'.repeat(64)}.json`), '{"parent":""}');

    const result = await pruneRoot(t.root, { graceMs: 0 });
    expect(result.trails).toBe(1);
    expect(trails().map((trail) => trail.name).filter((name) => !name.endsWith('.trail'))).toEqual([]);
    expectTrailsOfRecordsOnly();
    expect(trails()).toHaveLength(4);
    expect(result.blobs).toBeGreaterThan(0);
    expect(await t.registry.store.has(dropped.image.descriptor.digest)).toBe(false);
    const image = await loadImage(t.registry.store, kept.image.descriptor);
    for (const layer of image.manifest.layers) expect(await t.registry.store.has(layer.digest)).toBe(true);
    expect((await checkRoot(t.root)).problems).toEqual([]);

    // The step cache survives a plain prune: a rebuild runs nothing.
    const again = await t.build(helloDockerfile(), {}, { contextDir: hello });
    expect(again.executedSteps).toBe(0);
  });

  it('finds a blob whose bytes were changed', async () => {
    const image = await loadImage(t.registry.store, (await t.registry.images.resolve('kept:latest'))!);
    const path = t.registry.store.blobPath(image.manifest.layers.at(-1)!.digest);
    const byte = Buffer.alloc(1);
    const poke = (value: Buffer) => {
      const fd = openSync(path, 'r+');
      writeSync(fd, value, 0, 1, 20);
      closeSync(fd);
    };
    const fd = openSync(path, 'r');
    readSync(fd, byte, 0, 1, 20);
    closeSync(fd);
    poke(Buffer.from([byte[0]! ^ 0xff]));
    const report = await checkRoot(t.root);
    expect(report.problems).toEqual([`blob ${image.manifest.layers.at(-1)!.digest} does not match its digest`]);
    poke(byte);
    expect((await checkRoot(t.root)).problems).toEqual([]);
  });

  it('du counts what the store holds', async () => {
    const usage = await diskUsage(t.root);
    let bytes = 0;
    for await (const blob of t.registry.store.list()) bytes += blob.size;
    expect(usage.blobs.bytes).toBe(bytes);
    // hello's three steps and the unnamed image's RUN: a plain prune keeps records whose layer is there.
    expect(usage.records).toBe(readdirSync(join(t.root, 'cache', 'steps')).filter((n) => n.endsWith('.json')).length);
    expect(usage.records).toBe(4);
    expect(usage.snapshots.count).toBeGreaterThanOrEqual(4);
    expect(usage.snapshots.bytes).toBeGreaterThan(1_000_000);
  });

  it('--keep-storage gives up the oldest records until the blobs fit', async () => {
    const before = records().length;
    const usage = await diskUsage(t.root);
    const result = await pruneRoot(t.root, { keepBytes: usage.blobs.bytes - 1, graceMs: 0 });
    expect(result.records).toBeGreaterThan(0);
    expect(records().length).toBe(before - result.records);
    expect(result.trails).toBe(result.records);
    expectTrailsOfRecordsOnly();
    expect((await diskUsage(t.root)).blobs.bytes).toBeLessThan(usage.blobs.bytes);
    expect((await checkRoot(t.root)).problems).toEqual([]);
    const image = await loadImage(t.registry.store, (await t.registry.images.resolve('kept:latest'))!);
    for (const layer of image.manifest.layers) expect(await t.registry.store.has(layer.digest)).toBe(true);
  });

  it('with --all drops the step cache and snapshots, and the next build remakes them', async () => {
    const result = await pruneRoot(t.root, { all: true, graceMs: 0 });
    expect(result.records).toBeGreaterThan(0);
    expect(result.snapshots).toBeGreaterThan(0);
    expect(trails()).toEqual([]);
    expect((await checkRoot(t.root)).problems).toEqual([]);
    const rebuilt = await t.build(helloDockerfile(), {}, { contextDir: hello });
    expect(rebuilt.executedSteps).toBe(3);
    expect(trails()).toHaveLength(3);
    expectTrailsOfRecordsOnly();
  });
});
