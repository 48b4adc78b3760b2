import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '@tsbuild/errors';
import { dockerPatternMatcher } from './ignore-matcher.js';

/**
 * The build context, read in place. Files excluded by `.dockerignore` (or the Dockerfile's own
 * `<Dockerfile>.dockerignore`, which wins) do not exist for COPY/ADD — including the Dockerfile
 * and `.dockerignore` themselves when a pattern excludes them, as with BuildKit.
 */
export interface BuildContext {
  /** Absolute path of the context directory. */
  root: string;
  /** The ignore file that was applied, if any. */
  ignoreFile: string | undefined;
  /** The patterns as read (comments and blank lines dropped, `!` kept). */
  ignorePatterns: string[];
  /** True when some pattern starts with `!`, so an excluded directory may still hold included files. */
  hasExceptions: boolean;
  /** Whether a path relative to the context root (`a/b`, no leading slash) is excluded. */
  isExcluded(relativePath: string): boolean;
}

export interface OpenContextOptions {
  /** The Dockerfile, absolute or relative to the working directory; default `<dir>/Dockerfile`. */
  dockerfilePath?: string;
}

export function openContext(dir: string, options: OpenContextOptions = {}): BuildContext {
  const root = path.resolve(dir);
  if (!isDirectory(root)) {
    throw new TsbuildError('CONTEXT_NOT_FOUND', `build context ${dir} is not a directory`, { kind: 'usage' });
  }
  const ignoreFile = findIgnoreFile(root, options.dockerfilePath);
  const ignorePatterns = ignoreFile === undefined ? [] : parseIgnoreFile(readIgnoreFile(ignoreFile));
  const matches = dockerPatternMatcher(ignorePatterns);
  return {
    root,
    ignoreFile,
    ignorePatterns,
    hasExceptions: ignorePatterns.some((p) => p.startsWith('!')),
    isExcluded: ignorePatterns.length === 0 ? () => false : matches,
  };
}

/** `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
function findIgnoreFile(root: string, dockerfilePath: string | undefined): string | undefined {
  const dockerfile = path.resolve(root, dockerfilePath ?? 'Dockerfile');
  const specific = `${dockerfile}.dockerignore`;
  if (existsSync(specific)) return specific;
  const general = path.join(root, '.dockerignore');
  return existsSync(general) ? general : undefined;
}

function readIgnoreFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TsbuildError('CONTEXT_IGNORE_UNREADABLE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Docker's ignore-file reading: `#` comment lines, trimmed, cleaned, leading `/` dropped. */
export function parseIgnoreFile(text: string): string[] {
  const patterns: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.startsWith('#')) continue;
    let line = rawLine.trim();
    if (line === '') continue;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1).trim();
    if (line === '') continue;
    line = path.posix.normalize(line);
    if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    if (line.length > 1 && line.endsWith('/')) line = line.slice(0, -1);
    patterns.push(negated ? `!${line}` : line);
  }
  return patterns;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
