import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import { toSarif, type Finding } from '@tsbuild/lint';

import { repoRoot } from '../../../test/support/paths.js';

/** The SARIF 2.1.0 schema Microsoft ships with sarif-multitool (whose `validate` does not apply it by itself). */
function sarifSchema(): object {
  const file = join(repoRoot, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'sarif-2.1.0.json');
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

const FINDINGS: Finding[] = [
  { rule: 'JSONArgsRecommended', category: 'best-practice', severity: 'warning', message: 'JSON arguments recommended for CMD', file: 'Dockerfile', line: 4 },
  { rule: 'ShellCheck', category: 'correctness', severity: 'info', message: 'SC2086: Double quote', file: 'Dockerfile', line: 5, column: 27 },
  { rule: 'SecretInLayer', category: 'secret', severity: 'error', message: '/root/.ssh/id_rsa holds a private key', file: 'Dockerfile', line: 2, layer: 1, digest: `sha256:${'a'.repeat(64)}`, path: '/root/.ssh/id_rsa', bytes: 411 },
  { rule: 'SecretInImageConfig', category: 'secret', severity: 'error', message: 'config Env NPM_TOKEN holds a npm access token' },
];

describe('SARIF against the SARIF 2.1.0 JSON schema', () => {
  it('our SARIF validates, and the schema check has teeth', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(sarifSchema());
    const sarif = toSarif(FINDINGS, '0.1.0') as { runs: Array<{ results: Array<Record<string, any>> }> };
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    // A start line of 0 and an unknown level are what the validator's own `validate` lets through.
    sarif.runs[0]!.results[0]!.level = 'bogus';
    sarif.runs[0]!.results[0]!.locations[0].physicalLocation.region.startLine = 0;
    expect(validate(sarif)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath).sort()).toEqual(['/runs/0/results/0/level', '/runs/0/results/0/locations/0/physicalLocation/region/startLine']);
  });
});
