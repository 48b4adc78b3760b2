import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Token auth settings for the registry (see distribution's docs/configuration.md, `auth: token`). */
export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file of the certificate whose key signs the tokens. */
  rootCertBundle: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  port: number;
  url: string;
  storage: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's docker-registry (CNCF distribution) on a free 127.0.0.1 port with its own
 * storage directory; resolves once /v2/ answers. `stop()` kills it and removes the storage.
 */
export async function startRegistry(options: { tokenAuth?: RegistryTokenAuth } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-registry-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  const auth = options.tokenAuth
    ? `auth:
  token:
    realm: ${options.tokenAuth.realm}
    service: ${options.tokenAuth.service}
    issuer: ${options.tokenAuth.issuer}
    rootcertbundle: ${options.tokenAuth.rootCertBundle}
`
    : '';
  const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`;
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return { host: `127.0.0.1:${port}`, port, url, storage, stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`docker-registry did not start on port ${port}: ${stderr}`);
}
