import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '@tsbuild/snapshot';
import { MediaTypes, sha256Digest, writeOciLayout, type ImageConfig, type ImageManifest } from '@tsbuild/oci';
import type { BuildEvent } from '@tsbuild/builder';

import { readBuiltImage, type LayerEntry } from './support/layers.js';
import { testRoot, type TestRoot } from './support/build-root.js';
import { repoRoot } from './support/paths.js';

let t: TestRoot;
beforeAll(async () => {
  t = await testRoot();
});
afterAll(() => t?.cleanup());

const names = (entries: LayerEntry[]) => entries.map((e) => e.name);

describe('building examples/hello', () => {
  it('makes an image with the COPY and RUN layers, its config and history, and nothing of the runtime', async () => {
    const dir = join(repoRoot, 'examples/hello');
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    const result = await t.build(dockerfile, {}, { contextDir: dir });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);

    // busybox base + WORKDIR /app + COPY + RUN
    expect(image.layers).toHaveLength(4);
    const [, workdir, copy, run] = image.layers;
    expect(names(workdir!)).toEqual(['app/']);
    expect(copy!.find((e) => e.name === 'app/hello.sh')?.content).toBe(readFileSync(join(dir, 'hello.sh'), 'utf8'));
    const runNames = names(run!);
    // Exactly what the command changed: no copied-up /etc, no mountpoints of the runtime.
    expect(runNames).toEqual(['app/', 'app/build-info', 'app/hello.sh']);
    expect(run!.find((e) => e.name === 'app/hello.sh')!.mode).toBe(0o755);
    for (const leaked of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname', 'proc/', 'sys/', 'dev/']) expect(runNames).not.toContain(leaked);
    expect(run!.find((e) => e.name === 'app/build-info')!.content).toMatch(/^built on (x86_64|aarch64)\n$/);

    expect(image.config.config?.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=Hello from tsbuild']);
    expect(image.config.config?.Cmd).toEqual(['/app/hello.sh']);
    expect(image.config.config?.WorkingDir).toBe('/app');
    expect(image.config.rootfs.diff_ids).toHaveLength(4);
    const history = image.config.history!.slice(1);
    expect(history.map((h) => [h.created_by, h.empty_layer ?? false])).toEqual([
      ['WORKDIR /app # buildkit', false],
      ['COPY hello.sh /app/hello.sh # buildkit', false],
      ['RUN /bin/sh -c chmod +x /app/hello.sh && echo "built on $(uname -m)" > /app/build-info # buildkit', false],
      ['ENV GREETING=Hello from tsbuild', true],
      ['CMD ["/app/hello.sh"]', true],
    ]);
    expect(history[2]!.comment).toBe('tsbuild.dockerfile.v0 Dockerfile:4');
  });

  it('writes an OCI layout that umoci unpacks to the files the Dockerfile made', async () => {
    const dir = join(repoRoot, 'examples/hello');
    const result = await t.build(readFileSync(join(dir, 'Dockerfile'), 'utf8'), {}, { contextDir: dir });
    const out = mkdtempSync(join(tmpdir(), 'tsbuild-umoci-'));
    try {
      await writeOciLayout(t.registry.store, { target: result.image.descriptor, names: ['hello:latest'] }, join(out, 'layout'));
      execFileSync('umoci', ['unpack', '--image', `${join(out, 'layout')}:latest`, join(out, 'bundle')]);
      const rootfs = join(out, 'bundle', 'rootfs');
      expect(readFileSync(join(rootfs, 'app/hello.sh'), 'utf8')).toContain('echo "$GREETING"');
      expect(existsSync(join(rootfs, 'bin/busybox'))).toBe(true);
      expect(existsSync(join(rootfs, 'etc/hosts'))).toBe(false);
      const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${join(out, 'layout')}:latest`], { encoding: 'utf8' }));
      expect(inspected.config.Cmd).toEqual(['/app/hello.sh']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('layers from RUN', () => {
  it('turns deletions into whiteouts and a replaced directory into an opaque one', async () => {
    const result = await t.build(`FROM busybox
RUN mkdir -p /data/old && touch /data/old/a /data/keep
RUN rm /etc/group && rm -rf /data && mkdir /data && echo new > /data/fresh
`);
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    const last = names(image.layers.at(-1)!);
    expect(last).toContain('etc/.wh.group');
    expect(last).toContain('data/.wh..wh..opq');
    expect(last).toContain('data/fresh');
    expect(last).not.toContain('data/keep');
  });

  it('sees ARG and ENV values, the WORKDIR and the USER', async () => {
    const result = await t.build(`FROM busybox
ARG FLAVOUR=plain
ENV HOME_DIR=/home/app
WORKDIR /work/dir
USER nobody
RUN echo "$FLAVOUR $HOME_DIR $(pwd) $(id -u)" > /tmp/seen
`, {}, { buildArgs: { FLAVOUR: 'spicy' } });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    const seen = image.layers.at(-1)!.find((e) => e.name === 'tmp/seen');
    expect(seen?.content).toBe('spicy /home/app /work/dir 65534\n');
    expect(image.config.config?.User).toBe('nobody');
    expect(image.config.history!.at(-1)!.created_by).toBe('RUN |1 FLAVOUR=spicy /bin/sh -c echo "$FLAVOUR $HOME_DIR $(pwd) $(id -u)" > /tmp/seen # buildkit');
  });

  it('fails with the exit code, the Dockerfile line and the last output, and leaves nothing mounted', async () => {
    const error = await t.buildError(`FROM busybox
RUN echo first
RUN echo "about to fail" && exit 3
`);
    expect(error.code).toBe('RUN_FAILED');
    expect(error.oneLine()).toBe('Dockerfile:3: process "/bin/sh -c echo "about to fail" && exit 3" did not complete successfully: exit code: 3');
    expect(error.detail).toEqual(['about to fail']);
    expect(mountsUnder(t.root)).toEqual([]);
    expect(readdirSync(join(t.root, 'work'))).toEqual([]);
  });
});

describe('image metadata', () => {
  it('stores ONBUILD triggers and runs them when a later build starts FROM the image; ENTRYPOINT resets an inherited CMD', async () => {
    const parent = await t.build(`FROM busybox
ONBUILD RUN echo triggered > /onbuild-ran
CMD ["parent-cmd"]
HEALTHCHECK --interval=30s CMD true
STOPSIGNAL SIGQUIT
EXPOSE 8080
VOLUME /data
`);
    const parentImage = await readBuiltImage(t.registry.store, parent.image.descriptor);
    expect(parentImage.config.config?.OnBuild).toEqual(['RUN echo triggered > /onbuild-ran']);
    expect(parentImage.config.config?.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 30e9 });
    await t.registry.images.tag('onbuild-parent:latest', parent.image.descriptor);

    const child = await t.build('FROM onbuild-parent\nENTRYPOINT ["/bin/echo"]\n');
    const image = await readBuiltImage(t.registry.store, child.image.descriptor);
    expect(image.layers.at(-1)!.find((e) => e.name === 'onbuild-ran')?.content).toBe('triggered\n');
    expect(image.config.config?.OnBuild ?? null).toBeNull();
    expect(image.config.config?.Entrypoint).toEqual(['/bin/echo']);
    expect(image.config.config?.Cmd ?? null).toBeNull();
    expect([image.config.config?.StopSignal, image.config.config?.ExposedPorts, image.config.config?.Volumes]).toEqual(['SIGQUIT', { '8080/tcp': {} }, { '/data': {} }]);
  });
});

describe('multi-stage builds', () => {
  it('copies from an earlier stage by name and by index, and builds only what --target needs', async () => {
    const dockerfile = `FROM busybox AS build
RUN mkdir /out && echo compiled > /out/app
FROM busybox AS unused
RUN exit 1
FROM scratch
COPY --from=build /out/app /app
COPY --from=0 /bin/busybox /busybox
`;
    const result = await t.build(dockerfile);
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    expect(image.layers).toHaveLength(2);
    expect(image.layers[0]!.find((e) => e.name === 'app')?.content).toBe('compiled\n');
    expect(names(image.layers[1]!)).toEqual(['busybox']);
    expect(result.plan.stages.map((s) => s.index)).toEqual([0, 2]);

    const build = await t.build(dockerfile, {}, { target: 'build' });
    const buildImage = await readBuiltImage(t.registry.store, build.image.descriptor);
    expect(buildImage.layers).toHaveLength(2);
  });
});

describe('layers of an image that leaves the machine', () => {
  it('are compressed as they are written and handed to streamLayersTo; other stages are not', async () => {
    const dockerfile = `FROM busybox AS build
RUN mkdir /out && echo compiled > /out/app && seq 20000 > /out/numbers
FROM busybox
COPY --from=build /out /opt
RUN cat /opt/app > /copied
`;
    const records = () => (existsSync(join(t.root, 'compressed')) ? readdirSync(join(t.root, 'compressed')).filter((f) => f.endsWith('.json')) : []);
    const before = new Set(records());
    const streamed: Buffer[] = [];
    const newRecordsAtStepDone: number[] = [];
    const result = await t.build(dockerfile, {}, {
      noCache: true,
      onEvent: (e) => void (e.type === 'step-done' && newRecordsAtStepDone.push(records().filter((f) => !before.has(f)).length)),
      compression: { algorithm: 'gzip', level: 4 },
      streamLayersTo: async (chunks) => {
        const parts: Buffer[] = [];
        for await (const chunk of chunks) parts.push(chunk);
        streamed.push(Buffer.concat(parts));
      },
    });
    const store = t.registry.store;
    const manifest = await store.readJson<ImageManifest>(result.image.descriptor.digest);
    const config = await store.readJson<ImageConfig>(manifest.config.digest);
    const built = manifest.layers.slice(1);
    expect(built.map((l) => l.mediaType)).toEqual([MediaTypes.ociLayerGzip, MediaTypes.ociLayerGzip]);
    // Exactly the final stage's two layers went out, each byte for byte the blob in the image.
    expect(streamed.map((b) => sha256Digest(b)).sort()).toEqual(built.map((l) => l.digest).sort());
    for (const [i, layer] of built.entries()) {
      const diffId = config.rootfs.diff_ids[i + 1]!;
      expect(sha256Digest(gunzipSync(await store.readBytes(layer.digest)))).toBe(diffId);
      const record = JSON.parse(readFileSync(join(t.root, 'compressed', `${diffId.slice(7)}.gzip-4.json`), 'utf8'));
      expect(record).toEqual({ digest: layer.digest, size: layer.size });
    }
    // Each layer of the final stage was compressed by the time its step was done, not at the end.
    expect(newRecordsAtStepDone).toEqual([0, 1, 2]);
    // The build stage's layer stays a plain tar only: no record besides the final stage's.
    const added = records().filter((f) => !before.has(f));
    expect(added.sort()).toEqual(config.rootfs.diff_ids.slice(1).map((d) => `${d.slice(7)}.gzip-4.json`).sort());
  });
});

describe('the step cache', () => {
  it('runs only the stages --no-cache-filter names', async () => {
    const dockerfile = `FROM busybox AS build
RUN echo compiled > /app
FROM busybox
COPY --from=build /app /app
RUN cat /app > /copy
`;
    const dir = t.contextDir({ Dockerfile: dockerfile });
    const options = { contextDir: dir, sourceDateEpoch: 1_600_000_000 };
    await t.build(dockerfile, {}, options);
    const misses: string[] = [];
    const result = await t.build(dockerfile, {}, { ...options, noCacheStages: ['build'], onEvent: (e) => (e.type === 'step-miss' ? void misses.push(`${e.step}: ${e.reason}`) : undefined) });
    // The build stage runs again and makes the same layer, so the final stage still hits.
    expect(misses).toEqual(['0/1: --no-cache']);
    expect([result.executedSteps, result.cachedSteps]).toEqual([1, 2]);
  });

  it('names the build arg a miss comes from, and runs only the steps that see it', async () => {
    const dockerfile = `FROM busybox
RUN echo independent > /a
ARG FLAVOUR=plain
COPY Dockerfile /copied
RUN echo $FLAVOUR > /b
`;
    const dir = t.contextDir({ Dockerfile: dockerfile });
    await t.build(dockerfile, {}, { contextDir: dir });
    const misses: string[] = [];
    const result = await t.build(dockerfile, {}, {
      contextDir: dir,
      buildArgs: { FLAVOUR: 'spicy' },
      onEvent: (e) => (e.type === 'step-miss' ? void misses.push(`${e.step}: ${e.reason}`) : undefined),
    });
    // The COPY after the ARG does not see build args; only the RUN that does runs again.
    expect([result.executedSteps, result.cachedSteps]).toEqual([1, 2]);
    expect(misses).toEqual(['0/4: build arg FLAVOUR changed']);
  });

  it('skips unchanged steps, reruns from the first changed COPY, and reproduces the same image', async () => {
    const dockerfile = `FROM busybox
COPY a.txt /a.txt
RUN cat /a.txt > /b.txt
COPY c.txt /c.txt
`;
    const dir = t.contextDir({ Dockerfile: dockerfile, 'a.txt': 'one', 'c.txt': 'see' });
    const options = { contextDir: dir, sourceDateEpoch: 1_700_000_000 };
    const first = await t.build(dockerfile, {}, options);
    expect([first.executedSteps, first.cachedSteps]).toEqual([3, 0]);
    const again = await t.build(dockerfile, {}, options);
    expect([again.executedSteps, again.cachedSteps]).toEqual([0, 3]);
    expect(again.image.descriptor.digest).toBe(first.image.descriptor.digest);

    const misses: string[] = [];
    const onEvent = (e: BuildEvent) => (e.type === 'step-miss' ? void misses.push(`${e.step}: ${e.reason}`) : undefined);
    writeFileSync(join(dir, 'c.txt'), 'changed');
    const third = await t.build(dockerfile, {}, { ...options, onEvent });
    expect([third.executedSteps, third.cachedSteps]).toEqual([1, 2]);
    expect(misses.splice(0)).toEqual(['0/3: file c.txt changed']);
    // Every step after the first COPY that selects a.txt runs again: its parent changed.
    writeFileSync(join(dir, 'a.txt'), 'two');
    const fourth = await t.build(dockerfile, {}, { ...options, onEvent });
    expect([fourth.executedSteps, fourth.cachedSteps]).toEqual([3, 0]);
    expect(misses.splice(0)).toEqual(['0/1: file a.txt changed', '0/2: an earlier step changed', '0/3: an earlier step changed']);
    const image = await readBuiltImage(t.registry.store, fourth.image.descriptor);
    expect(image.layers[2]!.find((e) => e.name === 'b.txt')?.content).toBe('two');

    const uncached = await t.build(dockerfile, {}, { ...options, noCache: true, onEvent });
    expect([uncached.executedSteps, uncached.cachedSteps]).toEqual([3, 0]);
    expect(uncached.image.descriptor.digest).toBe(fourth.image.descriptor.digest);
    expect(misses.splice(0)).toEqual(['0/1: --no-cache', '0/2: --no-cache', '0/3: --no-cache']);

    // Same keys as the last build, but the cache is gone: the trail need not change to say so.
    rmSync(join(t.root, 'cache', 'steps'), { recursive: true, force: true });
    const afterWipe = await t.build(dockerfile, {}, { ...options, onEvent });
    expect([afterWipe.executedSteps, afterWipe.cachedSteps]).toEqual([3, 0]);
    expect(misses.splice(0)).toEqual(['0/1: its cached result is gone', '0/2: its cached result is gone', '0/3: its cached result is gone']);
  });
});

describe('reproducible and concurrent builds', () => {
  it('gives the same digest on two fresh roots with the same SOURCE_DATE_EPOCH', async () => {
    const other = await testRoot();
    try {
      const dir = join(repoRoot, 'examples/multistage');
      const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
      const options = { contextDir: dir, sourceDateEpoch: 1_600_000_000 };
      const [a, b] = [await t.build(dockerfile, {}, options), await other.build(dockerfile, {}, options)];
      expect(a.executedSteps).toBeGreaterThan(0);
      expect(b.image.descriptor.digest).toBe(a.image.descriptor.digest);
    } finally {
      other.cleanup();
    }
  });

  it('runs four builds of one Dockerfile at once on one root, with the digests of a serial build', async () => {
    const dockerfile = `FROM busybox
COPY data.txt /data.txt
RUN sha256sum /data.txt > /sum && mkdir /many && for i in $(seq 1 200); do echo $i > /many/$i; done
`;
    const dir = t.contextDir({ Dockerfile: dockerfile, 'data.txt': 'concurrent\n' });
    const options = { contextDir: dir, sourceDateEpoch: 1_600_000_000 };
    const results = await Promise.all([1, 2, 3, 4].map(() => t.build(dockerfile, {}, options)));
    const digests = new Set(results.map((r) => r.image.descriptor.digest));
    expect(digests.size).toBe(1);
    const serial = await t.build(dockerfile, {}, { ...options, noCache: true });
    expect(serial.image.descriptor.digest).toBe(results[0]!.image.descriptor.digest);
    expect(mountsUnder(t.root)).toEqual([]);
  });
});
