import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the shared test material beside it (`../shared`, never copied in). */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const corpusDir = join(sharedDir, 'corpus');
export const conformanceDir = join(sharedDir, 'conformance', 'buildkit');

if (!existsSync(sharedDir)) throw new Error(`shared test material not found at ${sharedDir}`);

/** Every file under `dir` whose name satisfies `accept`, sorted, as paths relative to `dir`. */
export function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(rel, name);
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else if (accept(name)) found.push(path);
    }
  };
  walk('');
  return found;
}
