import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { lintDockerfile, readLintConfig } from '@tsbuild/lint';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'tsbuild-lint-config-'));
  dirs.push(d);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
  return d;
}

const TEXT = 'FROM alpine:3\nCMD echo hi\nMAINTAINER me\n';

describe('the lint config file', () => {
  it("the context's .tsbuild-lint.json switches rules off and changes severities", async () => {
    const contextDir = dir({ '.tsbuild-lint.json': JSON.stringify({ ignore: ['MaintainerDeprecated'], severity: { JSONArgsRecommended: 'error' } }) });
    const found = await lintDockerfile({ text: TEXT, file: 'Dockerfile', contextDir, shellcheck: false });
    expect(found.map((f) => [f.rule, f.severity, f.line])).toEqual([['JSONArgsRecommended', 'error', 2]]);
  });

  it('rejects unknown rules, keys and severities, naming the file', () => {
    const d = dir({ a: '{"ignore": ["NoSuchRule"]}', b: '{"severity": {"ShellCheck": "fatal"}}', c: '{"skip": []}', d: 'not json' });
    expect(() => readLintConfig(join(d, 'a'))).toThrow(`lint config ${join(d, 'a')}: unknown rule "NoSuchRule" in "ignore"`);
    expect(() => readLintConfig(join(d, 'b'))).toThrow('severity of ShellCheck must be error, warning or info, not "fatal"');
    expect(() => readLintConfig(join(d, 'c'))).toThrow('unknown key "skip" (known: ignore, severity)');
    expect(() => readLintConfig(join(d, 'd'))).toThrow(`cannot read lint config ${join(d, 'd')}`);
  });
});
