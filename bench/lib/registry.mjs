// A throwaway docker-registry for the benchmarks: plain HTTP on a free 127.0.0.1 port, its
// storage (and config) in a directory of the caller's, stopped by `stop()`.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts /usr/bin/docker-registry with its storage under `base` and waits until /v2/ answers. */
export async function startRegistry(base) {
  await mkdir(base, { recursive: true });
  const port = await freePort();
  const config = join(base, 'registry.yml');
  await writeFile(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(base, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
    try {
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      up = true;
    } catch {
      await sleep(50);
    }
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  if (!up) {
    await stop();
    throw new Error(`docker-registry did not answer on ${url}`);
  }
  return { host: `127.0.0.1:${port}`, stop };
}
