// Start-up: `tsbuild --version` and `tsbuild plan` of a small Dockerfile against a bare
// `node -e 0` (the floor; target ratio <= 2.5). Median of BENCH_RUNS (default 10).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'packages/cli/bin/tsbuild.js');
const runs = Number(process.env.BENCH_RUNS ?? 10);

const floor = median(() => time(process.execPath, ['-e', '0']));
for (const [label, args] of [
  ['tsbuild --version', ['--version']],
  ['tsbuild plan examples/hello', ['plan', join(repo, 'examples/hello')]],
]) {
  const ours = median(() => time(cli, [...args]));
  console.log(`${label.padEnd(30)} ${ours.toFixed(0)} ms  node -e 0 ${floor.toFixed(0)} ms  ratio ${(ours / floor).toFixed(2)}`);
}

function time(command, args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(fn) {
  const times = Array.from({ length: runs }, fn).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}
