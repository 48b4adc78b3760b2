import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { copyInto, openContext, type CopyOptions, type CopyResult, type CopySpec } from '../src/copy/index.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(prefix = 'tsbuild-copy-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Files (string content), symlinks ({ link }) and directories ({ dir: true }) below `root`. */
export type TreeSpec = Record<string, string | { link: string } | { dir: true }>;

export function writeTree(root: string, tree: TreeSpec): string {
  for (const [name, value] of Object.entries(tree)) {
    const target = path.join(root, name);
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof value === 'string') writeFileSync(target, value);
    else if ('link' in value) symlinkSync(value.link, target);
    else mkdirSync(target, { recursive: true });
  }
  return root;
}

export function copySpec(sources: string[], dest: string, extra: Partial<CopySpec> = {}): CopySpec {
  return { kind: 'COPY', sources, dest, heredocs: [], ...extra };
}

export const LOCATION = { file: 'Dockerfile', line: 7 };

/** Copies from a context directory into a fresh destination root. */
export async function copyFromContext(
  contextDir: string,
  sources: string[],
  dest: string,
  extra: Partial<CopySpec> = {},
  more: Partial<CopyOptions> = {},
): Promise<{ destRoot: string; result: CopyResult }> {
  const destRoot = more.destRoot ?? tempDir('tsbuild-dest-');
  const result = await copyInto({
    instruction: copySpec(sources, dest, extra),
    source: { kind: 'context', context: openContext(contextDir) },
    destRoot,
    location: LOCATION,
    ...more,
  });
  return { destRoot, result };
}

/** Runs `work` and returns the TsbuildError it throws (fails the test when nothing is thrown). */
export async function thrown(work: () => Promise<unknown>): Promise<{ code: string; message: string; location?: { line: number } }> {
  try {
    await work();
  } catch (error) {
    return error as { code: string; message: string; location?: { line: number } };
  }
  throw new Error('expected an error');
}
