// Plans every Dockerfile of the shared corpus and prints the total time (target: well under 0.5 s).
// Run after `npm run build`: node bench/plan-corpus.mjs
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPlan } from '@tsbuild/frontend';

const corpus = resolve(fileURLToPath(new URL('../../shared/corpus', import.meta.url)));
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.startsWith('Dockerfile') && !name.endsWith('.template')) files.push(path);
  }
})(corpus);
const texts = files.map((f) => [f, readFileSync(f, 'utf8')]);
const platform = { os: 'linux', architecture: 'amd64' };

async function planAll() {
  const start = process.hrtime.bigint();
  for (const [file, dockerfile] of texts) await createPlan({ dockerfile, file, platform });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const cold = await planAll();
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await planAll());
warm.sort((a, b) => a - b);
const median = warm[Math.floor(warm.length / 2)];
console.log(`plan corpus: ${texts.length} Dockerfiles, first pass ${cold.toFixed(1)} ms, median ${median.toFixed(1)} ms (target < 500 ms), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
