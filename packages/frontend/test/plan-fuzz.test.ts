import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { createPlan } from '@tsbuild/frontend';
import { corpusDir, listFiles } from '../../../test/support/paths.js';

const seeds = listFiles(corpusDir, (n) => n === 'Dockerfile')
  .slice(0, 12)
  .map((p) => readFileSync(join(corpusDir, p), 'utf8'));
seeds.push('ARG A=1\nFROM busybox:${A} AS b\nCOPY --from=b /x /y\nRUN <<EOT\necho hi\nEOT\nFROM b\nENV X=${A:-d}\n');

const fragments = ['\\\n', '\n', '$', '${', '}', '"', "'", '<<EOT', '--from=', 'FROM ', 'ARG ', ' AS ', '#', '`', '[', ']', '{{', '=', ' '];

/** A seed with a few edits: insertions of tricky fragments, deletions and duplications of spans. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 6 }))), { maxLength: 6 }),
  )
  .map(([seed, edits]) => {
    let text = seed;
    for (const [at, len, insert] of edits) {
      const pos = at % (text.length + 1);
      text = at % 3 === 0 ? text.slice(0, pos) + insert + text.slice(pos) : text.slice(0, pos) + insert + text.slice(pos + len);
    }
    return text;
  });

async function onlyLocatedErrors(dockerfile: string): Promise<void> {
  try {
    await createPlan({ dockerfile, platform: { os: 'linux', architecture: 'amd64' } });
  } catch (error) {
    expect(error).toBeInstanceOf(TsbuildError);
    const e = error as TsbuildError;
    if (e.code !== 'TARGET_NOT_FOUND') expect(e.location?.line).toBeGreaterThan(0);
  }
}

describe('planning hostile Dockerfiles', () => {
  it('throws only located TsbuildErrors on mutated real Dockerfiles', async () => {
    await fc.assert(fc.asyncProperty(mutated, onlyLocatedErrors), { numRuns: 300 });
  });

  it('throws only located TsbuildErrors on random text', async () => {
    const line = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...fragments).map((f) => `RUN ${f}`));
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 8 }).map((l) => l.join('\n')), onlyLocatedErrors), { numRuns: 300 });
  });
});
