import { open, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { TsbuildError } from '@tsbuild/errors';

const RETRY_MS = 20;
const DEFAULT_TIMEOUT_MS = 30_000;

/** In-process queues per lock path, so one process's callers wait in turn instead of polling. */
const localQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL, holding our pid). A lock left
 * by a process that no longer exists is taken over.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const path = resolve(lockPath);
  const previous = localQueues.get(path) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    await acquire(path, timeoutMs);
    try {
      return await fn();
    } finally {
      await rm(path, { force: true });
    }
  });
  localQueues.set(path, run);
  try {
    return await run;
  } finally {
    if (localQueues.get(path) === run) localQueues.delete(path);
  }
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new TsbuildError('LOCK_FAILED', `cannot create lock file ${path}: ${(error as Error).message}`);
      }
    }
    if (await holderIsGone(path)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new TsbuildError('LOCKED', `timed out waiting for lock ${path} (held by another tsbuild process)`);
    await sleep(RETRY_MS);
  }
}

async function holderIsGone(path: string): Promise<boolean> {
  const content = await readFile(path, 'utf8').catch(() => undefined);
  const pid = Number(content);
  // An empty file is a holder between open and write; give it time.
  if (content === undefined || content === '' || !Number.isInteger(pid) || pid <= 0) return false;
  // Our own queue admits one holder per process, so our pid here is a leftover of a crashed run.
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
