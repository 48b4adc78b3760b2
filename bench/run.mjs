// `npm run bench`: installs the peers (buildah, skopeo, runc, docker-registry via scripts/setup.sh),
// runs every benchmark under bench/ in turn (or those named: node bench/run.mjs build registry),
// and writes what each printed, with the machine's facts, to bench/results/<time>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const repo = join(dir, '..');
if (!process.env.BENCH_SKIP_SETUP) {
  const setup = spawnSync(join(repo, 'scripts/setup.sh'), { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4)).sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length ? all.filter((name) => wanted.includes(name)) : all;
const results = [];
let failed = 0;
for (const name of chosen) {
  console.log(`\n== bench/${name}.mjs`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(dir, `${name}.mjs`)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(result.stdout);
  if (result.status !== 0) failed++;
  results.push({ bench: name, ok: result.status === 0, seconds: (Date.now() - started) / 1000, lines: result.stdout.trim().split('\n') });
}
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
mkdirSync(join(dir, 'results'), { recursive: true });
const file = join(dir, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2)}\n`);
console.log(`\nresults: ${file}`);
process.exit(failed ? 1 : 0);
