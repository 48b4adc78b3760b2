import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { ContentStore } from '@tsbuild/oci';
import { dockerCredentials, RegistryClient, saveDockerCredentials } from '@tsbuild/registry';

import { storeTestImage } from '../../../test/support/oci-image.js';
import { startRegistry, type TestRegistry } from '../../../test/support/registry.js';
import { startTokenServer, type TokenServer } from '../../../test/support/token-server.js';

let tokens: TokenServer;
let registry: TestRegistry;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-token-test-'));
  tokens = await startTokenServer({ ci: 's3cret' });
  registry = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
});

afterAll(async () => {
  await registry?.stop();
  await tokens?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('pushes and pulls through the Bearer token flow with credentials from a Docker config file', async () => {
  const dockerConfig = join(dir, 'docker', 'config.json');
  await saveDockerCredentials(registry.host, { username: 'ci', password: 's3cret' }, dockerConfig);
  const saved = JSON.parse(await readFile(dockerConfig, 'utf8')) as { auths: Record<string, { auth: string }> };
  expect(saved.auths[registry.host]?.auth).toBe(Buffer.from('ci:s3cret').toString('base64'));

  const sourceRoot = join(dir, 'source');
  const image = await storeTestImage(new ContentStore(sourceRoot), { layers: [{ 'secret.txt': 'behind a token\n' }] });
  const pusher = new RegistryClient({ root: sourceRoot, credentials: dockerCredentials(dockerConfig) });
  await pusher.push(image.descriptor, `${registry.host}/private/app:v1`);
  const pushScopes = tokens.requests.map((r) => r.scopes.join(' '));
  expect(new Set(pushScopes)).toEqual(new Set(['repository:private/app:pull,push']));
  expect(tokens.requests.every((r) => r.user === 'ci')).toBe(true);
  // One token per scope: cached for every later request of the push.
  expect(tokens.requests).toHaveLength(1);

  const puller = new RegistryClient({ root: join(dir, 'pulled'), credentials: dockerCredentials(dockerConfig) });
  const pulled = await puller.pull(`${registry.host}/private/app:v1`);
  expect(pulled.descriptor.digest).toBe(image.descriptor.digest);
  expect(tokens.requests.at(-1)?.scopes).toEqual(['repository:private/app:pull']);

  const outcomes: string[] = [];
  const mounter = new RegistryClient({
    root: sourceRoot,
    credentials: dockerCredentials(dockerConfig),
    onProgress: (e) => e.kind === 'blob-done' && outcomes.push(e.outcome),
  });
  await mounter.push(image.descriptor, `${registry.host}/private/other:v1`);
  expect(outcomes).toEqual(['mounted', 'mounted']);
  expect(tokens.requests.at(-1)?.scopes.join(' ')).toBe('repository:private/other:pull,push repository:private/app:pull');
});

it('refuses without credentials or with a wrong password, naming the registry', async () => {
  const anonymous = await new RegistryClient({ root: join(dir, 'anon') }).pull(`${registry.host}/private/app:v1`).catch((e: unknown) => e);
  expect(anonymous).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
  expect((anonymous as Error).message).toContain(`registry ${registry.host} refused access`);

  const badConfig = join(dir, 'bad.json');
  await writeFile(badConfig, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('ci:wrong').toString('base64') } } }));
  const wrong = await new RegistryClient({ root: join(dir, 'wrong'), credentials: dockerCredentials(badConfig) })
    .pull(`${registry.host}/private/app:v1`)
    .catch((e: unknown) => e);
  expect(wrong).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
  expect((wrong as Error).message).toBe(
    `${registry.host}/private/app:v1: registry ${registry.host} refused access (HTTP 401): token server http://${new URL(tokens.realm).host} answered HTTP 401`,
  );
});
