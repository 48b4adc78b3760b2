// Run by runc-stale.test.ts as a separate node process (bundled first): starts a long container
// and reports its output on stdout, so the test can SIGKILL this process mid-run.
import { runContainer } from '../src/runc/index.js';

const [rootfs, stateRoot] = process.argv.slice(2) as [string, string];
await runContainer(
  { rootfs, stateRoot, args: ['sh', '-c', 'echo started; sleep 30'], env: [] },
  { onOutput: (line) => process.stdout.write(`${line}\n`) },
);
