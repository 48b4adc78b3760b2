import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { mountOverlay, unmount } from '@tsbuild/snapshot';

import type { MountedRoot, Workspace } from './workspace.js';

/**
 * What RUN mounts need besides layers: throwaway writable views of context paths, and secrets
 * in memory (/dev/shm) for the build only. `dispose` removes the secrets; the workspace holds the rest.
 */
export class RunResources {
  private secretsDir: string | undefined;

  constructor(private readonly workspace: Workspace) {}

  /** An overlay over a context directory, or a copy of a context file; `sources` releases the mount. */
  async writableCopy(hostPath: string, sources: MountedRoot[]): Promise<string> {
    const dir = this.workspace.tempDir();
    if (!statSync(hostPath).isDirectory()) {
      const copy = path.join(dir, path.basename(hostPath));
      copyFileSync(hostPath, copy);
      return copy;
    }
    const [upper, work, target] = ['upper', 'work', 'merged'].map((name) => path.join(dir, name)) as [string, string, string];
    for (const d of [upper, work, target]) mkdirSync(d);
    await mountOverlay({ lowers: [hostPath], upper, work, target });
    sources.push({ merged: target, upper, release: async () => unmount(target) });
    return target;
  }

  /** A secret's bytes in a memory-backed file with the mount's mode and owner. */
  secretFile(id: string, content: Buffer, mode: number, uid: number, gid: number): string {
    this.secretsDir ??= mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tsbuild-secrets-'));
    const file = path.join(this.secretsDir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomUUID()}`);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, mode);
    chownSync(file, uid, gid);
    return file;
  }

  dispose(): void {
    if (this.secretsDir) rmSync(this.secretsDir, { recursive: true, force: true });
  }
}
