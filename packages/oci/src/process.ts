/**
 * Whether a process exists (this one always does). Leftovers named by a pid — temp files,
 * workspaces, lock files, containers — are removed only when their process is gone.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
