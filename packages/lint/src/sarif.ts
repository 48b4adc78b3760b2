import { createHash } from 'node:crypto';

import type { Finding } from './finding.js';
import { RULES, ruleUrl } from './rules.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
/** GitHub code scanning's `security-severity` (0-10) for secret findings. */
const SECURITY_SEVERITY = { error: '8.0', warning: '5.0', info: '2.0' } as const;

/** SARIF 2.1.0 for GitHub code scanning: rules with help, stable ids, fingerprints, start lines. */
export function toSarif(findings: Finding[], version: string): object {
  const used = RULES.filter((rule) => findings.some((f) => f.rule === rule.id));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tsbuild lint',
            version,
            informationUri: 'https://github.com/tsbuild/tsbuild',
            rules: used.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.help.split('. ')[0]!.replace(/\.$/, '') },
              fullDescription: { text: rule.help },
              help: { text: rule.help, markdown: rule.help },
              ...(ruleUrl(rule.id) ? { helpUri: ruleUrl(rule.id) } : {}),
              defaultConfiguration: { level: LEVEL[rule.severity] },
              properties: {
                tags: [rule.category, ...(rule.category === 'secret' ? ['security'] : [])],
                ...(rule.category === 'secret' ? { 'security-severity': SECURITY_SEVERITY[rule.severity] } : {}),
              },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: used.findIndex((r) => r.id === f.rule),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file ?? 'Dockerfile' },
                region: { startLine: f.line ?? 1, ...(f.column ? { startColumn: f.column } : {}) },
              },
              ...(f.path ? { logicalLocations: [{ name: f.path, kind: 'member', fullyQualifiedName: `${f.digest ?? ''}${f.path}` }] } : {}),
            },
          ],
          partialFingerprints: { primaryLocationLineHash: fingerprint(f) },
        })),
      },
    ],
  };
}

function fingerprint(f: Finding): string {
  return createHash('sha256').update(JSON.stringify([f.rule, f.file, f.path, f.message])).digest('hex').slice(0, 32);
}
