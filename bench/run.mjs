// Runs every benchmark under bench/ in turn (or those named: node bench/run.mjs build registry).
// Each prints its own ratios against the peer it measures in the same run. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4)).sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length ? all.filter((name) => wanted.includes(name)) : all;
let failed = 0;
for (const name of chosen) {
  console.log(`\n== bench/${name}.mjs`);
  const result = spawnSync(process.execPath, [join(dir, `${name}.mjs`)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
