import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { build, type BuildOptions, type BuildResult } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { mountsUnder } from '@tsbuild/snapshot';
import { RegistryClient } from '@tsbuild/registry';

import { storeBusybox } from './busybox.js';

/** A throwaway tsbuild root with the busybox base image in it. */
export interface TestRoot {
  root: string;
  registry: RegistryClient;
  /** Writes files into a fresh context dir and builds `dockerfile` there. */
  build(dockerfile: string, files?: Record<string, string>, options?: Partial<BuildOptions>): Promise<BuildResult>;
  /** Like build, but expects a TsbuildError and returns it. */
  buildError(dockerfile: string, files?: Record<string, string>, options?: Partial<BuildOptions>): Promise<TsbuildError>;
  contextDir(files: Record<string, string>): string;
  cleanup(): void;
}

export async function testRoot(): Promise<TestRoot> {
  const base = mkdtempSync(join(tmpdir(), 'tsbuild-build-'));
  const root = join(base, 'root');
  mkdirSync(root);
  await storeBusybox(root);
  const registry = new RegistryClient({ root });
  let contexts = 0;
  const contextDir = (files: Record<string, string>) => {
    const dir = join(base, `context-${++contexts}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  };
  const run = (dockerfile: string, files: Record<string, string> = {}, options: Partial<BuildOptions> = {}) => {
    const dir = options.contextDir ?? contextDir({ ...files, Dockerfile: dockerfile });
    return build({ root, contextDir: dir, dockerfile, dockerfilePath: join(dir, 'Dockerfile'), file: 'Dockerfile', registry, ...options });
  };
  return {
    root,
    registry,
    build: run,
    async buildError(dockerfile, files, options) {
      try {
        await run(dockerfile, files, options);
      } catch (error) {
        if (error instanceof TsbuildError) return error;
        throw error;
      }
      throw new Error('expected the build to fail');
    },
    contextDir,
    cleanup() {
      for (const point of mountsUnder(base)) throw new Error(`mount left behind: ${point}`);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
