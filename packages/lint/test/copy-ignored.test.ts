import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { lintDockerfile } from '@tsbuild/lint';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function copyIgnored(text: string, files: Record<string, string>): Promise<string[]> {
  const contextDir = mkdtempSync(join(tmpdir(), 'tsbuild-lint-ignored-'));
  dirs.push(contextDir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(contextDir, name, '..'), { recursive: true });
    writeFileSync(join(contextDir, name), content);
  }
  const found = await lintDockerfile({ text, file: 'Dockerfile', contextDir, shellcheck: false });
  return found.filter((f) => f.rule === 'CopyIgnoredFile').map((f) => `${f.line}: ${f.message}`);
}

describe('CopyIgnoredFile', () => {
  it('flags context sources the ignore file excludes, also under an excluded directory', async () => {
    const text = 'FROM scratch\nCOPY dist/app.js /app/\nADD ./build/out.txt /srv/\nCOPY src /src\n';
    expect(await copyIgnored(text, { '.dockerignore': 'dist\n*.txt\nbuild\n', 'dist/app.js': 'x', 'build/out.txt': 'y', 'src/a': 'z' })).toEqual([
      '2: Attempting to Copy file "dist/app.js" that is excluded by .dockerignore',
      '3: Attempting to Add file "build/out.txt" that is excluded by .dockerignore',
    ]);
  });

  it('stays quiet for COPY --from, URLs, heredocs, without an ignore file, and when the ignore file has exceptions', async () => {
    const text = 'FROM scratch AS b\nFROM scratch\nCOPY --from=b dist /d\nADD https://example.com/dist /d\nCOPY <<dist /d\nx\ndist\nCOPY dist /d\n';
    expect(await copyIgnored(text, { '.dockerignore': 'dist\n', 'dist/a': 'x' })).toEqual(['8: Attempting to Copy file "dist" that is excluded by .dockerignore']);
    expect(await copyIgnored(text, { 'dist/a': 'x' })).toEqual([]);
    expect(await copyIgnored(text, { '.dockerignore': 'dist\n!dist/keep\n', 'dist/a': 'x' })).toEqual([]);
  });
});
