import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform } from '@tsbuild/frontend';
import { ContentStore, ImageStore } from '@tsbuild/oci';

import { tsbuild } from './support/cli.js';
import { storeTestImage } from './support/oci-image.js';

let root: string;
let context: string;
const env = () => ({ TSBUILD_ROOT: root, FORCE_COLOR: '0', GITHUB_STEP_SUMMARY: '' });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tsbuild-cli-lint-root-'));
  context = mkdtempSync(join(tmpdir(), 'tsbuild-cli-lint-ctx-'));
  // A local base image: its ENV tells UndefinedVar that GOPATH is defined.
  const image = await storeTestImage(new ContentStore(root), { architecture: hostPlatform().architecture, layers: [{ 'etc/hostname': 'x\n' }], config: { Env: ['PATH=/usr/local/go/bin:/usr/bin:/bin', 'GOPATH=/go'] } });
  await new ImageStore(root).tag('registry.local/golang:1.22', image.descriptor);
  writeFileSync(join(context, 'Dockerfile'), 'FROM registry.local/golang:1.22\nENV PATH=$GOPATH/bin:$PATH\nCOPY . $GOPTH/src\nCMD go run .\n');
});
afterAll(() => [root, context].forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('tsbuild lint on a Dockerfile', () => {
  it('prints findings grouped by file with the offending line, and exits 0 when nothing is an error', () => {
    const result = tsbuild(['lint', '.'], { cwd: context, env: env() });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'Dockerfile',
      "  3       warning UndefinedVar: Usage of undefined variable '$GOPTH' (did you mean $GOPATH?)",
      '          | COPY . $GOPTH/src',
      '  4       warning JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
      '          | CMD go run .',
      '0 error(s), 2 warning(s), 0 info(s)',
      '',
    ]);
  });

  it('exits 1 with --fail-on warning, and writes JSON findings', () => {
    const result = tsbuild(['lint', '--fail-on', 'warning', '--format', 'json'], { cwd: context, env: env() });
    expect(result.status).toBe(1);
    const findings = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(findings.map((f) => [f.rule, f.category, f.severity, f.file, f.line])).toEqual([
      ['UndefinedVar', 'correctness', 'warning', 'Dockerfile', 3],
      ['JSONArgsRecommended', 'best-practice', 'warning', 'Dockerfile', 4],
    ]);
  });

  it('writes GitHub workflow commands and appends a Markdown summary to $GITHUB_STEP_SUMMARY', () => {
    const summary = join(context, '..', `summary-${process.pid}.md`);
    writeFileSync(summary, '# earlier step\n');
    try {
      const result = tsbuild(['lint', '--format', 'github', '--fail-on', 'none'], { cwd: context, env: { ...env(), GITHUB_STEP_SUMMARY: summary } });
      expect(result.status).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe("::warning file=Dockerfile,line=3,title=UndefinedVar::Usage of undefined variable '$GOPTH' (did you mean $GOPATH?)");
      const markdown = readFileSync(summary, 'utf8');
      expect(markdown.startsWith('# earlier step\n### tsbuild lint')).toBe(true);
      expect(markdown).toContain('| warning | JSONArgsRecommended | Dockerfile:4 |');
    } finally {
      rmSync(summary, { force: true });
    }
  });

  it('--config changes severities: a warning made an error fails the run', () => {
    const config = join(context, '..', `lint-config-${process.pid}.json`);
    writeFileSync(config, JSON.stringify({ ignore: ['UndefinedVar'], severity: { JSONArgsRecommended: 'error' } }));
    try {
      const result = tsbuild(['lint', '--config', config, '--format', 'json'], { cwd: context, env: env() });
      expect(result.status).toBe(1);
      expect((JSON.parse(result.stdout) as Array<Record<string, unknown>>).map((f) => [f.rule, f.severity])).toEqual([['JSONArgsRecommended', 'error']]);
    } finally {
      rmSync(config, { force: true });
    }
  });

  it('rejects a threshold that is not a number', () => {
    const result = tsbuild(['lint', '--image', 'registry.local/golang:1.22', '--max-wasted-bytes', 'lots'], { env: env() });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('--max-wasted-bytes takes a number, not "lots"');
  });
});
