import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOciArchive, writeOciLayout } from '@tsbuild/oci';

import { testRoot, type TestRoot } from './support/build-root.js';
import { repoRoot } from './support/paths.js';
import { treeOf, type TreeEntry } from './support/rootfs-tree.js';

// Side by side with `buildah bud --runtime runc`: the same Dockerfile must give the same files
// (type, mode, owner, content, link target, hard-link groups) and the same config fields.
let t: TestRoot;
let work: string;
let buildahArgs: string[];

beforeAll(async () => {
  t = await testRoot();
  work = mkdtempSync(join(tmpdir(), 'tsbuild-buildah-'));
  buildahArgs = ['--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs'];
  // buildah gets the very same busybox image, under the same name.
  const busybox = (await t.registry.images.resolve('busybox:latest'))!;
  const archive = join(work, 'busybox.tar');
  await writeOciArchive(t.registry.store, { target: busybox, names: ['busybox:latest'] }, archive);
  execFileSync('buildah', [...buildahArgs, 'pull', '--quiet', `oci-archive:${archive}`], { stdio: 'ignore' });
  const id = execFileSync('buildah', [...buildahArgs, 'images', '--quiet'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  execFileSync('buildah', [...buildahArgs, 'tag', id, 'docker.io/library/busybox:latest']);
}, 120_000);

afterAll(() => {
  try {
    execFileSync('buildah', [...buildahArgs, 'rm', '--all'], { stdio: 'ignore' });
    execFileSync('umount', ['-R', join(work, 'storage')], { stdio: 'ignore' });
  } catch {
    // nothing mounted
  }
  rmSync(work, { recursive: true, force: true });
  t?.cleanup();
});

function unpack(layout: string, name: string): string {
  const bundle = join(work, `bundle-${name}`);
  execFileSync('umoci', ['unpack', '--image', `${layout}:latest`, bundle], { stdio: 'ignore' });
  return join(bundle, 'rootfs');
}

async function both(name: string, contextDir: string) {
  const dockerfile = readFileSync(join(contextDir, 'Dockerfile'), 'utf8');
  const ours = await t.build(dockerfile, {}, { contextDir });
  const ourLayout = join(work, `ours-${name}`);
  await writeOciLayout(t.registry.store, { target: ours.image.descriptor, names: ['latest'] }, ourLayout);

  const theirLayout = join(work, `buildah-${name}`);
  try {
    execFileSync('buildah', [...buildahArgs, 'bud', '--runtime', 'runc', '--format', 'docker', '--pull=false', '-t', `cmp-${name}`, contextDir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`buildah bud failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(-800)}`);
  }
  execFileSync('buildah', [...buildahArgs, 'push', `cmp-${name}`, `oci:${theirLayout}:latest`], { stdio: 'ignore' });
  const config = (layout: string) => JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${layout}:latest`], { encoding: 'utf8' })).config;
  const ourTree = treeOf(unpack(ourLayout, `ours-${name}`));
  return {
    ours: ourTree,
    theirs: withoutBuildahMountpoints(treeOf(unpack(theirLayout, `buildah-${name}`)), ourTree),
    ourConfig: config(ourLayout),
    theirConfig: config(theirLayout),
  };
}

/**
 * buildah leaves empty mountpoint files for /etc/hosts, /etc/hostname and /etc/resolv.conf (and
 * /run) in its images; BuildKit and Docker do not, and neither do we. They are dropped from
 * buildah's side only when our image has no such path.
 */
const BUILDAH_MOUNTPOINTS = new Set(['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'run', 'run/.containerenv']);

function withoutBuildahMountpoints(theirs: TreeEntry[], ours: TreeEntry[]): TreeEntry[] {
  const ourPaths = new Set(ours.map((e) => e.path));
  return theirs.filter((e) => !(BUILDAH_MOUNTPOINTS.has(e.path) && !ourPaths.has(e.path) && (e.type === 'dir' || e.content === EMPTY_SHA256)));
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const CONFIG_FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal', 'Healthcheck'];

/** The config fields both must agree on; buildah's own `io.buildah.version` label is not one. */
function pick(config: Record<string, unknown>) {
  const labels = { ...((config.Labels as Record<string, string> | null) ?? {}) };
  delete labels['io.buildah.version'];
  // buildah moves a redefined variable to the end of Env; BuildKit (and we) update it in place.
  const env = [...((config.Env as string[] | null) ?? [])].sort();
  return Object.fromEntries(CONFIG_FIELDS.map((f) => [f, f === 'Labels' ? (Object.keys(labels).length ? labels : null) : f === 'Env' ? env : (config[f] ?? null)]));
}

// Not compared, because buildah 1.28 differs from BuildKit there and we follow BuildKit:
// COPY --chmod on parent directories the copy creates (BuildKit applies the mode, fsutil#228;
// buildah 0755); a shell-form CMD after SHELL (BuildKit runs it with that SHELL, buildah with
// /bin/sh -c); EXPOSE of a port range (BuildKit lists each port, buildah keeps "8000-8002/tcp");
// the parent directory of a RUN --mount target that did not exist (BuildKit removes the stubs it
// made, buildah leaves them).
const cases: Array<[string, Record<string, string>]> = [
  ['files', {
    Dockerfile: `FROM busybox
COPY a.txt dir/ /dest/
COPY --chmod=600 a.txt /secret.txt
COPY dir /copied-dir
ADD dir/nested /added/
RUN ln /dest/a.txt /dest/a-hardlink && ln -s ../dest/a.txt /dest/a-symlink && mkdir -p /var/empty && chmod 4755 /dest/a.txt
RUN rm -rf /dest/b.txt /etc/group && touch /etc/group
WORKDIR /srv/app
ENV MODE=test PATH=/opt/bin:$PATH
EXPOSE 8080 53/udp
VOLUME /data
LABEL a=b
USER nobody
ENTRYPOINT ["sh", "-c"]
CMD ["echo hi"]
STOPSIGNAL SIGTERM
`,
    'a.txt': 'alpha\n',
    'dir/b.txt': 'bravo\n',
    'dir/nested/c.txt': 'charlie\n',
  }],
  ['layers-replace', {
    Dockerfile: `FROM busybox
RUN mkdir -p /a/b /c && echo one > /a/b/f && echo two > /c/g && ln -s /a/b /link && ln /c/g /c/hard
RUN rm -rf /a/b && echo now-a-file > /a/b && rm /link && mkdir /link && chmod 2775 /link
RUN rm /c/g && echo replaced > /c/g && touch -d @0 /c/g && mkdir -p /empty/dir && chown -R 65534:65534 /empty
COPY --chown=65534:0 --chmod=4755 tool.sh /usr/bin/
COPY dir/ /opt/dir
COPY dir /opt/dir2/
WORKDIR /opt/dir2
RUN ln -sf ../dir sibling && ls -1A > /listing
`,
    'tool.sh': '#!/bin/sh\necho tool\n',
    'dir/x.txt': 'x\n',
    'dir/sub/y.txt': 'y\n',
  }],
  ['args-env', {
    Dockerfile: `ARG BASE=busybox
FROM \${BASE}
ARG VERSION=1.0
ARG UNUSED
ENV APP_VERSION=\${VERSION} HOME_DIR=/home/\${USER:-nobody}
ENV PATH=/app/bin:\$PATH
RUN echo "\$VERSION \$APP_VERSION \$HOME_DIR" > /versions && env | grep -E '^(VERSION|APP_VERSION)=' | sort > /env-seen
SHELL ["/bin/sh", "-ec"]
RUN echo "shell changed" > /shell
USER 65534:65534
RUN id > /tmp/id-seen
USER root
LABEL version=\${VERSION} "quoted key"="a value"
EXPOSE 8000/tcp 9000/udp
HEALTHCHECK --interval=10s --retries=2 CMD ["true"]
CMD ["sleep", "1"]
`,
  }],
  ['fifo-globs-ignore', {
    Dockerfile: `FROM busybox AS build
RUN mkdir -p /out/bin && echo built > /out/bin/app && chown -R 1:1 /out && chmod 0750 /out/bin
FROM busybox
RUN touch /umask-file && mkdir /umask-dir && mkfifo /fifo
COPY --from=build /out/ /opt/
COPY *.conf /etc/app/
COPY src/ /src/
ADD pack.tar /opt/pack/
VOLUME ["/data"]
WORKDIR /srv
WORKDIR sub
`,
    'a.conf': 'a\n',
    'b.conf': 'b\n',
    'c.txt': 'not copied\n',
    'src/keep.txt': 'keep\n',
    'src/skip.log': 'ignored\n',
    'src/nested/deep.log': 'ignored too\n',
    '.dockerignore': '**/*.log\n',
  }],
  ['dest-rules', {
    Dockerfile: `FROM busybox
RUN mkdir -p /opt/real /existing && ln -s /opt/real /opt/link && echo old > /existing/keep
COPY one.txt two.txt /multi/
COPY one.txt /renamed.txt
COPY one.txt /existing
COPY dir /existing/
COPY dir/ /copied-contents
COPY one.txt /opt/link/
ADD layer.tar.gz /existing/
WORKDIR /opt/link/work
USER 4321
WORKDIR /home/nobody-else
RUN touch made-by-4321
USER root
ENV QUOTED="a \\"b\\" c" SPACED='x  y' EMPTY=
LABEL multi.one="1" multi.two='2' plain=3
`,
    'one.txt': 'one\n',
    'two.txt': 'two\n',
    'dir/inner.txt': 'inner\n',
    'dir/sub/deep.txt': 'deep\n',
  }],
  ['from-image-mounts', {
    Dockerfile: `FROM busybox AS base
ONBUILD RUN echo from-onbuild > /onbuild
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo base"]
FROM busybox
COPY --from=busybox /bin/busybox /copied-busybox
RUN --mount=type=bind,source=data.txt,target=/data.txt cp /data.txt /from-bind
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/y && ls /scratch > /tmpfs-list
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/echo"]
`,
    'data.txt': 'bound\n',
  }],
];

describe('tsbuild and buildah build the same image', () => {
  it.each(cases)('%s', async (name, files) => {
    const dir = t.contextDir(files);
    if (files.Dockerfile!.includes('layer.tar.gz')) {
      execFileSync('sh', ['-c', `mkdir -p '${dir}/l/from-tar' && echo tar > '${dir}/l/from-tar/f' && echo replaced > '${dir}/l/keep' && tar -C '${dir}/l' -czf '${dir}/layer.tar.gz' . && rm -r '${dir}/l'`]);
    }
    if (files.Dockerfile!.includes('pack.tar')) {
      execFileSync('sh', ['-c', `mkdir -p '${dir}/p/inner' && echo packed > '${dir}/p/inner/file' && tar -C '${dir}/p' -cf '${dir}/pack.tar' . && rm -r '${dir}/p'`]);
    }
    const result = await both(name, dir);
    expect(result.ours).toEqual(result.theirs);
    expect(pick(result.ourConfig)).toEqual(pick(result.theirConfig));
  }, 180_000);

  it.each(['hello', 'multistage', 'users', 'add-archive'])('examples/%s', async (example) => {
    const result = await both(example, join(repoRoot, 'examples', example));
    expect(result.ours).toEqual(result.theirs);
    expect(pick(result.ourConfig)).toEqual(pick(result.theirConfig));
  }, 180_000);
});

