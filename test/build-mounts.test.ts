import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImage } from '@tsbuild/builder';
import { mountsUnder } from '@tsbuild/snapshot';

import { testRoot, type TestRoot } from './support/build-root.js';
import { readBuiltImage } from './support/layers.js';
import { repoRoot } from './support/paths.js';

let t: TestRoot;
beforeAll(async () => {
  t = await testRoot();
});
afterAll(() => t?.cleanup());

describe('heredocs', () => {
  it('builds examples/heredoc: a RUN script, a COPY file with ARG expansion, a here-document piped to a command', async () => {
    const dir = join(repoRoot, 'examples/heredoc');
    const result = await t.build(readFileSync(join(dir, 'Dockerfile'), 'utf8'), {}, { contextDir: dir });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    const files = new Map(image.layers.flat().map((e) => [e.name, e]));
    expect(files.get('etc/app/state')?.content).toBe('configured\n');
    expect(files.get('etc/app/config.ini')?.content).toBe('[server]\nport = 8080\n');
    expect(files.get('usr/local/bin/greet')?.mode).toBe(0o755);
    expect(files.get('usr/local/bin/greet')?.content).toBe('#!/bin/sh\necho "hello, $1 (port $(sed -n \'s/^port = //p\' /etc/app/config.ini))"\n');
    await t.registry.images.tag('heredoc-example:latest', result.image.descriptor);
    const lines: string[] = [];
    const code = await runImage({ root: t.root, registry: t.registry, ref: 'heredoc-example:latest', onOutput: (line) => lines.push(line) });
    expect([code, lines]).toEqual([0, ['hello, heredoc (port 8080)']]);
  });

  it('runs a RUN heredoc with a shebang through its interpreter', async () => {
    const dockerfile = ['FROM busybox', 'RUN <<EOF', '#!/bin/sh -e', 'echo "from the heredoc" > /out', 'EOF', ''].join('\n');
    const result = await t.build(dockerfile);
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    expect(image.layers.at(-1)!.find((e) => e.name === 'out')?.content).toBe('from the heredoc\n');
  });
});

describe('RUN --mount', () => {
  it('exposes a --secret only during the RUN: it is in no layer, config, history, cache record or log', async () => {
    const secret = `s3cr3t-${Date.now()}-value`;
    const file = join(t.contextDir({ 'token.txt': secret }), 'token.txt');
    const logs: string[] = [];
    const dockerfile = [
      'FROM busybox',
      'RUN --mount=type=secret,id=token test -s /run/secrets/token && echo seen-the-secret',
      'RUN --mount=type=secret,id=token,env=TOKEN test -n "$TOKEN" && echo "length ${#TOKEN}"',
      '',
    ].join('\n');
    const result = await t.build(dockerfile, {}, {
      secrets: { token: file },
      onEvent: (e) => (e.type === 'step-log' ? void logs.push(e.line) : undefined),
    });
    expect(logs).toEqual(['seen-the-secret', `length ${secret.length}`]);
    // Every byte tsbuild stored: blobs, snapshots, cache records, image names.
    const hits = execFileSync('sh', ['-c', `grep -rl --binary-files=text '${secret}' '${t.root}' || true`], { encoding: 'utf8' }).trim();
    expect(hits).toBe('');
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    expect(image.layers.flat().map((e) => e.name).filter((n) => n.startsWith('run/'))).toEqual([]);
    expect(JSON.stringify(image.config)).not.toContain(secret);
  });

  it('keeps a cache mount between builds and out of the image', async () => {
    const dockerfile = `FROM busybox
RUN --mount=type=cache,target=/var/cache/app echo run >> /var/cache/app/runs && wc -l < /var/cache/app/runs > /runs-seen
`;
    const first = await t.build(dockerfile, {}, { noCache: true });
    const second = await t.build(dockerfile, {}, { noCache: true });
    const count = async (digest: typeof first.image.descriptor) => {
      const image = await readBuiltImage(t.registry.store, digest);
      const last = image.layers.at(-1)!;
      expect(last.map((e) => e.name).filter((n) => n.startsWith('var/cache'))).toEqual([]);
      return Number(last.find((e) => e.name === 'runs-seen')?.content?.trim());
    };
    expect((await count(second.image.descriptor)) - (await count(first.image.descriptor))).toBe(1);
  });

  it('binds files of another stage and of the context read-only', async () => {
    const result = await t.build(`FROM busybox AS tools
RUN echo 'echo from-tools' > /tool.sh
FROM busybox
RUN --mount=type=bind,from=tools,source=/tool.sh,target=/mnt/tool.sh --mount=type=bind,source=input.txt,target=/mnt/input.txt sh /mnt/tool.sh > /result && cat /mnt/input.txt >> /result && (touch /mnt/input.txt 2>/dev/null || echo read-only >> /result)
`, { 'input.txt': 'from-context\n' });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    expect(image.layers.at(-1)!.find((e) => e.name === 'result')?.content).toBe('from-tools\nfrom-context\nread-only\n');
    expect(image.layers.at(-1)!.map((e) => e.name)).toEqual(['result']);
  });
});

describe('RUN --mount=type=ssh', () => {
  it('forwards the agent socket given with --ssh and names it in SSH_AUTH_SOCK', async () => {
    const { createServer } = await import('node:net');
    const socketDir = t.contextDir({});
    const socket = join(socketDir, 'agent.sock');
    const server = createServer((connection) => connection.end('agent says hi\n'));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const result = await t.build('FROM busybox\nRUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /agent-path\n', {}, { sshSockets: { default: socket } });
      const image = await readBuiltImage(t.registry.store, result.image.descriptor);
      expect(image.layers.at(-1)!.find((e) => e.name === 'agent-path')?.content).toBe('/run/buildkit/ssh_agent.0\n');
      expect(image.layers.at(-1)!.map((e) => e.name).filter((n) => n.startsWith('run/'))).toEqual([]);
    } finally {
      server.close();
    }
    const missing = await t.buildError('FROM busybox\nRUN --mount=type=ssh true\n', {}, { sshSockets: {} });
    expect([missing.code, missing.location?.line]).toEqual(['SSH_NOT_FOUND', 2]);
  });
});

describe('hostile ADD archives', () => {
  it('stops a decompression bomb with a clear error at its line, leaving nothing mounted', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = t.contextDir({ Dockerfile: 'FROM busybox\nADD bomb.tar.gz /data/\n' });
    // 64 MiB of zeros in a tar, gzipped to a few KiB: far beyond 100 times its size.
    execFileSync('sh', ['-c', `cd '${dir}' && head -c 67108864 /dev/zero > zeros && tar -cf - zeros | gzip -1 > bomb.tar.gz && rm zeros`]);
    const previous = process.env.TSBUILD_ADD_MAX_BYTES;
    process.env.TSBUILD_ADD_MAX_BYTES = String(8 * 1024 * 1024);
    try {
      const error = await t.buildError('FROM busybox\nADD bomb.tar.gz /data/\n', {}, { contextDir: dir });
      expect([error.code, error.location?.line]).toEqual(['ARCHIVE_TOO_LARGE', 2]);
      expect(error.message).toMatch(/^ADD bomb\.tar\.gz: the archive expands to more than \d+ bytes \(over 100 times its size\); refusing what looks like a decompression bomb/);
    } finally {
      if (previous === undefined) delete process.env.TSBUILD_ADD_MAX_BYTES;
      else process.env.TSBUILD_ADD_MAX_BYTES = previous;
    }
    expect(mountsUnder(t.root)).toEqual([]);
  });
});

describe('device nodes from ADD archives', () => {
  it('become device and fifo entries of the layer; a later RUN and COPY --from never open them', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = t.contextDir({});
    // Packed by GNU tar from real nodes, as a user's archive would be.
    execFileSync('sh', ['-c', `cd '${dir}' && mkdir -p nodes/dev && mknod nodes/dev/null c 1 3 && mknod nodes/dev/sda b 8 0 && mknod nodes/dev/pipe p && tar --numeric-owner -C nodes -cf nodes.tar dev && rm -r nodes`]);
    const dockerfile = [
      'FROM busybox AS nodes',
      'ADD nodes.tar /opt/',
      "RUN ls -l /opt/dev/* | cut -c1 | sort | tr -d '\\n' > /kinds",
      'FROM busybox',
      'COPY --from=nodes /opt/dev/ /copied/',
      'COPY --from=nodes /kinds /',
      '',
    ].join('\n');
    const result = await t.build(dockerfile, {}, { contextDir: dir });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    const [copiedLayer, kindsLayer] = image.layers.slice(-2);
    const nodes = Object.fromEntries(copiedLayer!.filter((e) => e.name.startsWith('copied/')).map((e) => [e.name, e.device ?? e.type]));
    expect(nodes).toEqual({ 'copied/': 'directory', 'copied/null': '1:3', 'copied/sda': '8:0', 'copied/pipe': 'fifo' });
    expect(kindsLayer!.find((e) => e.name === 'kinds')?.content).toBe('bcp');
    expect(mountsUnder(t.root)).toEqual([]);
  });
});

describe('names Node cannot read back', () => {
  it('refuses a context file whose name is not UTF-8, and a RUN that makes one, each at its line', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = t.contextDir({ Dockerfile: 'FROM busybox\nCOPY . /ctx/\n', 'new\nline': 'newline in the name\n' });
    writeFileSync(Buffer.from(`${dir}/bad\xffname`, 'latin1'), 'x');
    const copy = await t.buildError('FROM busybox\nCOPY . /ctx/\n', {}, { contextDir: dir });
    expect([copy.code, copy.location?.line]).toEqual(['NON_UTF8_NAME', 2]);
    const run = await t.buildError('FROM busybox\nRUN echo ok\nRUN touch "$(printf "x\\377y")"\n');
    expect([run.code, run.location?.line]).toEqual(['NON_UTF8_NAME', 3]);
    expect(mountsUnder(t.root)).toEqual([]);

    // A newline is fine in a name.
    const result = await t.build('FROM busybox\nCOPY new* /n/\n', { 'new\nline': 'newline in the name\n' });
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    expect(image.layers.at(-1)!.find((e) => e.name === 'n/new\nline')?.content).toBe('newline in the name\n');
  });
});

describe('RUN --mount details', () => {
  it('discards writes through an rw bind of the context, and gives secrets their mode and owner', async () => {
    const { existsSync } = await import('node:fs');
    const dir = t.contextDir({ 'input.txt': 'in\n', 'token.txt': 'not-so-secret' });
    const dockerfile = `FROM busybox
RUN --mount=type=bind,target=/ctx,rw touch /ctx/written && echo x >> /ctx/input.txt && cat /ctx/input.txt > /seen
RUN --mount=type=secret,id=token stat -c '%a %u %g' /run/secrets/token > /secret-default
RUN --mount=type=secret,id=token,mode=0440,uid=65534,gid=65534 stat -c '%a %u %g' /run/secrets/token > /secret-custom
`;
    const result = await t.build(dockerfile, {}, { contextDir: dir, secrets: { token: join(dir, 'token.txt') } });
    expect(existsSync(join(dir, 'written'))).toBe(false);
    expect(readFileSync(join(dir, 'input.txt'), 'utf8')).toBe('in\n');
    const image = await readBuiltImage(t.registry.store, result.image.descriptor);
    const file = (name: string) => image.layers.flat().find((e) => e.name === name)?.content;
    expect([file('seen'), file('secret-default'), file('secret-custom')]).toEqual(['in\nx\n', '400 0 0\n', '440 65534 65534\n']);
    expect(mountsUnder(t.root)).toEqual([]);
  });
});

describe('cache mount sharing and seeding', () => {
  it('sharing=locked runs one RUN at a time on the cache; from/source seed a new cache', async () => {
    const id = `lock-${Date.now()}`;
    const dockerfile = (n: number) => `FROM busybox
RUN --mount=type=cache,target=/c,id=${id},sharing=locked echo start-${n} >> /c/log && sleep 0.3 && echo end-${n} >> /c/log && cp /c/log /log
`;
    const results = await Promise.all([1, 2].map((n) => t.build(dockerfile(n), {}, { noCache: true })));
    const logs = await Promise.all(results.map(async (r) => (await readBuiltImage(t.registry.store, r.image.descriptor)).layers.at(-1)!.find((e) => e.name === 'log')!.content!));
    const full = logs.find((l) => l.split('\n').length === 5)!;
    const lines = full.trim().split('\n');
    // No interleaving: each start is followed by its own end.
    expect([lines[0]!.replace('start', 'end'), lines[2]!.replace('start', 'end')]).toEqual([lines[1], lines[3]]);

    const seeded = await t.build(`FROM busybox AS seed
RUN mkdir -p /seed && echo seeded > /seed/file
FROM busybox
RUN --mount=type=cache,target=/c,id=seed-${Date.now()},from=seed,source=/seed cat /c/file > /seen
`);
    const image = await readBuiltImage(t.registry.store, seeded.image.descriptor);
    expect(image.layers.at(-1)!.find((e) => e.name === 'seen')?.content).toBe('seeded\n');
  });
});
