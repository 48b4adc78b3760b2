import chalk from 'chalk';
import type { Finding } from '@tsbuild/lint';

const COLOR = { error: chalk.red, warning: chalk.yellow, info: chalk.cyan } as const;

/** Findings grouped by file, most severe first: `FILE:LINE: severity Rule: message`. */
export function formatFindingsText(findings: Finding[]): string[] {
  if (findings.length === 0) return ['no findings'];
  const order = { error: 0, warning: 1, info: 2 };
  const sorted = [...findings].sort((a, b) => order[a.severity] - order[b.severity] || (a.line ?? 0) - (b.line ?? 0));
  const lines = sorted.map((f) => {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : '';
    const what = f.layer !== undefined ? ` [layer ${f.layer} ${f.path ?? ''}]` : '';
    return `${where}${COLOR[f.severity](f.severity)} ${f.rule}: ${f.message}${what}`;
  });
  const counts = ['error', 'warning', 'info'].map((s) => `${findings.filter((f) => f.severity === s).length} ${s}(s)`);
  return [...lines, counts.join(', ')];
}
