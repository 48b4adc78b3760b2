import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { ContentDigestMemo, type DigestMemoRecord } from '@tsbuild/executor';
import { writeFileAtomically } from '@tsbuild/oci';

/**
 * File content digests of build contexts, kept between builds in `<root>/cache/context-digests.json`
 * so a rebuild hashes only files whose size, mtime or inode changed.
 */
export class ContextDigests {
  memo = new ContentDigestMemo();
  private readonly file: string;
  private loaded = false;

  constructor(root: string) {
    this.file = path.join(root, 'cache', 'context-digests.json');
  }

  async load(): Promise<ContentDigestMemo> {
    if (this.loaded) return this.memo;
    this.loaded = true;
    const text = await readFile(this.file, 'utf8').catch(() => undefined);
    try {
      if (text) this.memo = new ContentDigestMemo(JSON.parse(text) as DigestMemoRecord[]);
    } catch {
      // A damaged memo only costs re-reading files.
    }
    return this.memo;
  }

  async save(): Promise<void> {
    if (!this.loaded || this.memo.reads === 0) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomically(this.file, JSON.stringify(this.memo.records()));
  }
}
