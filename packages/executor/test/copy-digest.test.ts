import { chmodSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentDigestMemo, openContext, sourceDigest, sourceInputs, type CopySpec } from '../src/copy/index.js';
import { copySpec, tempDir, writeTree } from './copy-support.js';

function digestOf(ctx: string, extra: Partial<CopySpec> = {}, memo?: ContentDigestMemo, sources = ['.']): Promise<string> {
  return sourceDigest({
    instruction: copySpec(sources, '/app/', extra),
    source: { kind: 'context', context: openContext(ctx) },
    destRoot: tempDir('tsbuild-dest-'),
    memo,
  });
}

const sample = () =>
  writeTree(tempDir(), { '.dockerignore': 'ignored.txt\n', 'a.txt': 'alpha', 'src/b.js': 'beta', 'src/link': { link: 'b.js' }, 'ignored.txt': 'x' });

describe('sourceDigest', () => {
  it('is stable, and changes when one byte of one file changes', async () => {
    const ctx = sample();
    const first = await digestOf(ctx);
    expect(first).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(await digestOf(ctx)).toBe(first);
    writeFileSync(path.join(ctx, 'src/b.js'), 'betA');
    expect(await digestOf(ctx)).not.toBe(first);
  });

  it('ignores mtimes and .dockerignored files, but not modes, owners, link targets or names', async () => {
    const ctx = sample();
    const first = await digestOf(ctx);
    utimesSync(path.join(ctx, 'a.txt'), 12345, 12345);
    writeFileSync(path.join(ctx, 'ignored.txt'), 'changed');
    expect(await digestOf(ctx)).toBe(first);
    chmodSync(path.join(ctx, 'a.txt'), 0o755);
    const afterChmod = await digestOf(ctx);
    expect(afterChmod).not.toBe(first);
    expect(await digestOf(ctx, { chown: '1000:1000' })).not.toBe(afterChmod);
    expect(await digestOf(ctx, { chmod: '600' })).not.toBe(afterChmod);
    unlinkSync(path.join(ctx, 'src/link'));
    symlinkSync('other.js', path.join(ctx, 'src/link'));
    const afterLink = await digestOf(ctx);
    expect(afterLink).not.toBe(afterChmod);
    expect(await digestOf(ctx, {}, undefined, ['a.txt'])).not.toBe(await digestOf(ctx, {}, undefined, ['src/b.js']));
  });

  it('covers heredoc content', async () => {
    const ctx = tempDir();
    const one = await digestOf(ctx, { heredocs: [{ name: 'EOT', content: 'one\n', expand: true, chomp: false }] }, undefined, ['<<EOT']);
    const two = await digestOf(ctx, { heredocs: [{ name: 'EOT', content: 'two\n', expand: true, chomp: false }] }, undefined, ['<<EOT']);
    expect(one).not.toBe(two);
  });

  it('does not re-read unchanged files when given a memo, also after a round trip through its records', async () => {
    const ctx = sample();
    const memo = new ContentDigestMemo();
    const first = await digestOf(ctx, {}, memo);
    expect([memo.reads, memo.hits]).toEqual([3, 0]); // .dockerignore, a.txt, src/b.js
    expect(await digestOf(ctx, {}, memo)).toBe(first);
    expect([memo.reads, memo.hits]).toEqual([3, 3]);
    writeFileSync(path.join(ctx, 'a.txt'), 'alphA');
    await digestOf(ctx, {}, memo);
    expect([memo.reads, memo.hits]).toEqual([4, 5]);
    const restored = new ContentDigestMemo(JSON.parse(JSON.stringify(memo.records())));
    await digestOf(ctx, {}, restored);
    expect([restored.reads, restored.hits]).toEqual([0, 3]);
  });

  it('lists each input with a fingerprint, so a miss can name the file that changed', async () => {
    const ctx = sample();
    const options = () => ({
      instruction: copySpec(['.'], '/app/'),
      source: { kind: 'context' as const, context: openContext(ctx) },
      destRoot: tempDir('tsbuild-dest-'),
    });
    const before = await sourceInputs(options());
    expect(before.inputs.map((i) => i.path)).toEqual(['.', '.dockerignore', 'a.txt', 'src', 'src/b.js', 'src/link']);
    expect(before.digest).toBe(await sourceDigest(options()));
    writeFileSync(path.join(ctx, 'src/b.js'), 'changed');
    const after = await sourceInputs(options());
    const changed = after.inputs.filter((input, i) => input.fingerprint !== before.inputs[i]?.fingerprint).map((i) => i.path);
    expect(changed).toEqual(['src/b.js']);
  });
});
