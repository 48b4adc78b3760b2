import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { writeFileAtomically, type ContentStore } from '@tsbuild/oci';

/**
 * Everything a filesystem step's result depends on. Two steps with equal keys produce the same
 * layer: the parent's chainID (the whole file system below), the step as expanded, the state it
 * runs in, and its inputs (context file contents, source stages' chainIDs).
 */
export interface StepKeyInput {
  parentChainId: string;
  platform: string;
  instruction: unknown;
  state?: unknown;
  inputs?: unknown;
}

const KEY_FORMAT = 'tsbuild-step-v1';

export function stepCacheKey(input: StepKeyInput): string {
  const canonical = JSON.stringify([KEY_FORMAT, input.parentChainId, input.platform, input.instruction, input.state ?? null, input.inputs ?? null]);
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** What a step produced: its layer, or nothing when it changed no file. */
export interface CachedStep {
  diffId?: string;
  size: number;
  created: string;
}

/**
 * Step results under `<root>/cache/steps/<key>.json`. A record is written (atomically) only after
 * its layer is complete in the content store, and is trusted only while that layer is still there.
 */
export class StepCache {
  private readonly dir: string;

  constructor(root: string, private readonly store: ContentStore) {
    this.dir = path.join(root, 'cache', 'steps');
  }

  async get(key: string): Promise<CachedStep | undefined> {
    const text = await readFile(this.file(key), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    let record: CachedStep;
    try {
      record = JSON.parse(text) as CachedStep;
    } catch {
      return undefined;
    }
    if (record.diffId !== undefined && !(await this.store.has(record.diffId))) return undefined;
    return record;
  }

  async put(key: string, record: CachedStep): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomically(this.file(key), JSON.stringify(record));
  }

  private file(key: string): string {
    return path.join(this.dir, `${key.replace(/^sha256:/, '')}.json`);
  }
}
