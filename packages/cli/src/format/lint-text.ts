import chalk from 'chalk';
import type { Finding } from '@tsbuild/lint';

const COLOR = { error: chalk.red, warning: chalk.yellow, info: chalk.cyan } as const;
const MAX_SOURCE = 120;

/** One line per finding, most severe first: `FILE:LINE: severity Rule: message` (build logs, grep). */
export function formatFindingsText(findings: Finding[]): string[] {
  if (findings.length === 0) return ['no findings'];
  const order = { error: 0, warning: 1, info: 2 };
  const sorted = [...findings].sort((a, b) => order[a.severity] - order[b.severity] || (a.line ?? 0) - (b.line ?? 0));
  const lines = sorted.map((f) => {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : '';
    const what = f.layer !== undefined ? ` [layer ${f.layer} ${f.path ?? ''}]` : '';
    return `${where}${COLOR[f.severity](f.severity)} ${f.rule}: ${f.message}${what}`;
  });
  return [...lines, counts(findings)];
}

/**
 * Findings grouped by file (image findings without one last), in line order, each as
 * `LINE[:COL] severity Rule: message [layer N /path]`, followed by the offending Dockerfile line
 * when `source` (the linted Dockerfile's text) is given. Colors only where chalk finds a TTY.
 */
export function formatFindingsGrouped(findings: Finding[], source?: string): string[] {
  if (findings.length === 0) return ['no findings'];
  const sourceLines = source?.split(/\r?\n/);
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = finding.file ?? '';
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  const order = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : 0));
  const lines: string[] = [];
  for (const file of order) {
    lines.push(chalk.bold(file === '' ? 'image' : file));
    const group = [...groups.get(file)!].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    for (const f of group) {
      const where = f.line ? `${f.line}${f.column ? `:${f.column}` : ''}` : '-';
      const what = f.layer !== undefined ? ` [layer ${f.layer}${f.path ? ` ${f.path}` : ''}]` : '';
      lines.push(`  ${where.padEnd(7)} ${COLOR[f.severity](f.severity.padEnd(7))} ${f.rule}: ${f.message}${what}`);
      const text = f.line && f.file !== undefined && f.layer === undefined ? sourceLines?.[f.line - 1] : undefined;
      if (text !== undefined && text.trim() !== '') lines.push(chalk.dim(`          | ${truncate(text)}`));
    }
  }
  return [...lines, counts(findings)];
}

function counts(findings: Finding[]): string {
  return ['error', 'warning', 'info'].map((s) => `${findings.filter((f) => f.severity === s).length} ${s}(s)`).join(', ');
}

function truncate(text: string): string {
  return text.length > MAX_SOURCE ? `${text.slice(0, MAX_SOURCE - 1)}…` : text;
}
