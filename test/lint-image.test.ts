import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImage } from '@tsbuild/lint';
import { writeOciArchive } from '@tsbuild/oci';

import { testRoot, type TestRoot } from './support/build-root.js';
import { repoRoot } from './support/paths.js';

const GITHUB_TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';

let t: TestRoot;
beforeAll(async () => {
  t = await testRoot();
});
afterAll(() => t?.cleanup());

describe('the image scan', () => {
  it('finds a secret that a later RUN deleted, at the COPY that added it, and the wasted bytes of a deleted 24 MiB file', async () => {
    const result = await t.build(`FROM busybox
COPY id_ed25519 /root/.ssh/id_ed25519
RUN rm /root/.ssh/id_ed25519
RUN head -c 25165824 /dev/zero > /big.bin
RUN rm /big.bin
`, { id_ed25519: PRIVATE_KEY });
    const scan = await scanImage(t.registry.store, result.image.descriptor);
    const secret = scan.findings.find((f) => f.rule === 'SecretInLayer')!;
    expect([secret.file, secret.line, secret.path, secret.layer]).toEqual(['Dockerfile', 2, '/root/.ssh/id_ed25519', 1]);
    expect(secret.digest).toMatch(/^sha256:/);
    const waste = scan.findings.filter((f) => f.rule === 'WastedSpace');
    expect(waste.map((f) => [f.path, f.bytes, f.line, f.layer])).toEqual([['/big.bin', 25165824, 4, 3]]);
    expect(scan.wastedBytes).toBeGreaterThanOrEqual(25165824);
    expect(scan.efficiency).toBeLessThan(0.1);
  });

  it('reports nothing for a secret that stayed in a discarded build stage', async () => {
    const result = await t.build(`FROM busybox AS build
COPY token.txt /token.txt
RUN wc -c < /token.txt > /token-length
FROM busybox
COPY --from=build /token-length /token-length
`, { 'token.txt': `${GITHUB_TOKEN}\n` });
    const scan = await scanImage(t.registry.store, result.image.descriptor);
    expect(scan.findings).toEqual([]);
  });

  it('finds build args in the history and secrets in the config', async () => {
    const result = await t.build(`FROM busybox
ARG NPM_TOKEN
RUN echo installing
ENV GH=${GITHUB_TOKEN}
`, {}, { buildArgs: { NPM_TOKEN: 'npm_abcdefghijklmnopqrstuvwxyz0123456789' } });
    const scan = await scanImage(t.registry.store, result.image.descriptor);
    expect(scan.findings.map((f) => [f.rule, f.line])).toEqual([
      ['SecretInImageConfig', undefined],
      ['BuildArgInHistory', 3],
    ]);
    expect(JSON.stringify(scan.findings)).not.toContain('npm_abcdefghij');
  });
});

describe('tsbuild lint --image through the CLI', () => {
  it('scans an OCI archive, fails on the secret and prints SARIF', async () => {
    const built = await t.build('FROM busybox\nCOPY .env /app/.env\n', { '.env': `GITHUB_TOKEN=${GITHUB_TOKEN}\n` });
    const archive = join(t.root, '..', 'scan.tar');
    await writeOciArchive(t.registry.store, { target: built.image.descriptor, names: ['scan:latest'] }, archive);
    const result = await new Promise<{ status: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'packages/cli/bin/tsbuild.js'), 'lint', '--image', archive, '--format', 'sarif'], { env: { ...process.env, TSBUILD_ROOT: t.root } }, (error, stdout) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(result.status).toBe(1);
    const sarif = JSON.parse(result.stdout);
    expect(sarif.runs[0].results.map((r: { ruleId: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }) => [r.ruleId, r.locations[0]!.physicalLocation.region.startLine])).toEqual([['SecretInLayer', 2]]);
  });
});

describe('tsbuild build --lint', () => {
  it('lints before, scans after, and keeps an image with a secret from being tagged', async () => {
    const context = t.contextDir({ Dockerfile: 'FROM busybox\nCOPY .env /app/.env\nRUN rm /app/.env\n', '.env': `GITHUB_TOKEN=${GITHUB_TOKEN}\n` });
    const result = await new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'packages/cli/bin/tsbuild.js'), 'build', '--lint', '-t', 'linted:latest', context], { env: { ...process.env, TSBUILD_ROOT: t.root, CI: 'true' } }, (error, _stdout, stderr) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/lint: .*Dockerfile:2: error SecretFileCopied: COPY copies the secret file ".env"/);
    expect(result.stderr).toMatch(/lint: .*Dockerfile:2: error SecretInLayer: \/app\/.env in layer 1/);
    expect(result.stderr).toMatch(/error: lint found 2 finding\(s\) at --lint=error or worse; the image was built \(sha256:[0-9a-f]{64}\) but is not tagged or pushed/);
    expect(await t.registry.images.resolve('linted:latest')).toBeUndefined();
  });
});
