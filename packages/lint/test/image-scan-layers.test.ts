import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { ContentStore, loadImage, MediaTypes } from '@tsbuild/oci';
import { scanImage } from '@tsbuild/lint';

import { storeJson, storeTestImage } from '../../../test/support/oci-image.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function store(): ContentStore {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-lint-scan-'));
  dirs.push(dir);
  return new ContentStore(dir);
}

const KIB_100 = 'x'.repeat(100 * 1024);

describe('the image scan on hand-made layers', () => {
  it("an opaque whiteout hides the lower layers' files, not its own layer's, whatever the tar order", async () => {
    const s = store();
    const image = await storeTestImage(s, { layers: [{ 'app/old.bin': KIB_100 }, { 'app/new.bin': KIB_100, 'app/.wh..wh..opq': '' }] });
    const scan = await scanImage(s, image.descriptor);
    expect(scan.findings.map((f) => [f.rule, f.path, f.bytes, f.layer])).toEqual([['WastedSpace', '/app/old.bin', 102400, 0]]);
    expect([scan.totalBytes, scan.wastedBytes]).toEqual([204800, 102400]);
  });

  it('counts each superseded copy once: deleted, added again, overwritten', async () => {
    const s = store();
    const image = await storeTestImage(s, { layers: [{ 'd/f': KIB_100 }, { '.wh.d': '' }, { 'd/f': KIB_100 }, { 'd/f': 'small' }] });
    const scan = await scanImage(s, image.descriptor);
    expect(scan.findings.map((f) => [f.rule, f.path, f.bytes, f.layer])).toEqual([
      ['WastedSpace', '/d/f', 102400, 0],
      ['WastedSpace', '/d/f', 102400, 2],
    ]);
    expect(scan.wastedBytes).toBe(204800);
  });

  it('finds credential files no token format matches: Docker auths, AWS credentials; not an example .env', async () => {
    const s = store();
    const image = await storeTestImage(s, {
      layers: [
        { 'root/.docker/config.json': '{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="}}}', 'app/.env.example': 'API_URL=http://localhost\n' },
        { 'home/app/.aws/credentials': '[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = notarealkeynotarealkeynotarealkey\n', '.wh.root': '' },
      ],
    });
    const scan = await scanImage(s, image.descriptor);
    expect(scan.findings.map((f) => [f.rule, f.path, f.layer, f.message.replace(/ \(.*\) /, ' ')])).toEqual([
      ['SecretInLayer', '/root/.docker/config.json', 0, '/root/.docker/config.json in layer 0 holds a Docker registry credentials'],
      ['SecretInLayer', '/home/app/.aws/credentials', 1, '/home/app/.aws/credentials in layer 1 holds a AWS credentials'],
    ]);
  });

  it('finds a token written inline in a history command and a secret build arg, with the Dockerfile line', async () => {
    const s = store();
    const image = await storeTestImage(s, { layers: [{ a: 'b' }] });
    const loaded = await loadImage(s, image.descriptor);
    const config = {
      ...loaded.config,
      history: [
        { created_by: 'RUN |2 NPM_TOKEN=s3cr3t-value VERSION=1 /bin/sh -c npm ci', comment: 'tsbuild.dockerfile.v0 Dockerfile:4' },
        { created_by: 'RUN /bin/sh -c curl -H "Authorization: token ghp_0123456789abcdefghijABCDEFGHIJ012345" https://api.github.com', empty_layer: true },
      ],
    };
    const configDescriptor = await storeJson(s, config, MediaTypes.ociConfig);
    const manifest = await storeJson(s, { ...loaded.manifest, config: configDescriptor }, MediaTypes.ociManifest);
    const scan = await scanImage(s, manifest);
    expect(scan.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      ['BuildArgInHistory', 'Dockerfile', 4, 'build arg NPM_TOKEN reached the image history'],
      ['SecretInHistory', undefined, undefined, "a history entry's command holds a GitHub Token"],
    ]);
  });

  it('does not call public key fingerprints in the config a secret, but a token is one', async () => {
    const s = store();
    const image = await storeTestImage(s, {
      layers: [{ a: 'b' }],
      config: { Env: ['PATH=/bin', 'GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D', 'NODE_GPG_KEYS=4ED778F539E3634C779C87C6D7062848A1AB005C', 'NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789'] },
    });
    const scan = await scanImage(s, image.descriptor);
    expect(scan.findings.map((f) => [f.rule, f.message])).toEqual([['SecretInImageConfig', 'config Env NPM_TOKEN holds a npm access token']]);
  });
});
