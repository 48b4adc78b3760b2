import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where tsbuild keeps its content store, images and cache: `$TSBUILD_ROOT`, else
 * `/var/lib/tsbuild` when running as root, else `$XDG_DATA_HOME/tsbuild` (default `~/.local/share/tsbuild`).
 */
export function defaultRoot(): string {
  const fromEnv = process.env.TSBUILD_ROOT;
  if (fromEnv) return fromEnv;
  if (process.getuid?.() === 0) return '/var/lib/tsbuild';
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'tsbuild');
}
