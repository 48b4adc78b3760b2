import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { withFileLock, writeFileAtomically } from '@tsbuild/oci';

/**
 * Where blobs are known to live in registries (`registry/repository` per digest), learnt from
 * pulls and pushes, so a push to another repository of the same registry can mount instead of
 * upload. Kept in `<root>/registry-locations.json`; a lost or stale record only costs an upload.
 */
export class KnownLocations {
  private readonly file: string;
  private static readonly MAX_PER_BLOB = 8;

  constructor(root: string) {
    this.file = join(root, 'registry-locations.json');
  }

  /** Repositories of `registry` other than `except` that are known to hold `digest`. */
  async repositoriesWith(digest: string, registry: string, except: string): Promise<string[]> {
    const all = await this.read();
    return (all[digest] ?? [])
      .filter((name) => name.startsWith(`${registry}/`))
      .map((name) => name.slice(registry.length + 1))
      .filter((repo) => repo !== except);
  }

  async record(registry: string, repository: string, digests: string[]): Promise<void> {
    const name = `${registry}/${repository}`;
    // Pushing or pulling the same image again changes nothing: no lock, no write, no fsync.
    const known = await this.read();
    if (digests.every((digest) => known[digest]?.[0] === name)) return;
    await withFileLock(`${this.file}.lock`, async () => {
      const all = await this.read();
      for (const digest of digests) {
        const names = (all[digest] ?? []).filter((n) => n !== name);
        all[digest] = [name, ...names].slice(0, KnownLocations.MAX_PER_BLOB);
      }
      await writeFileAtomically(this.file, JSON.stringify(all) + '\n');
    });
  }

  private async read(): Promise<Record<string, string[]>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string[]>;
    } catch {
      return {};
    }
  }
}
