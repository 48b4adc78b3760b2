import path from 'node:path';

import { openContext } from '@tsbuild/executor';
import type { RawInstruction } from '@tsbuild/frontend';

export interface IgnoredSource {
  instruction: RawInstruction;
  /** The source as BuildKit cleans it, e.g. `dist/app.js`. */
  source: string;
}

/**
 * BuildKit's CopyIgnoredFile: a COPY/ADD source from the context that the ignore file excludes
 * (the path or one of its parents). Like BuildKit, not judged when the ignore file has `!`
 * exceptions (too hard to decide statically) or no patterns at all.
 */
export function ignoredSources(instructions: RawInstruction[], contextDir: string, dockerfilePath?: string): IgnoredSource[] {
  const context = openContext(contextDir, dockerfilePath ? { dockerfilePath } : {});
  if (context.ignorePatterns.length === 0 || context.hasExceptions) return [];
  const found: IgnoredSource[] = [];
  for (const raw of instructions) {
    if ((raw.keyword !== 'COPY' && raw.keyword !== 'ADD') || raw.flags.some((f) => f.startsWith('--from='))) continue;
    for (const written of raw.args.slice(0, -1)) {
      if (/^\d*<</.test(written) || /^[a-z][a-z0-9+.-]*:\/\//i.test(written) || written.startsWith('git@')) continue;
      const source = path.posix.normalize(written).replace(/^\/+/, '').replace(/\/+$/, '');
      if (source === '' || source === '.' || source.startsWith('../')) continue;
      if (context.isExcluded(source)) found.push({ instruction: raw, source });
    }
  }
  return found;
}
