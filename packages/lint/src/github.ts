import type { Finding } from './finding.js';

const ORDER = { error: 0, warning: 1, info: 2 } as const;
const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

/** GitHub workflow commands, most severe first (GitHub shows only ten per step). */
export function toGithubCommands(findings: Finding[]): string[] {
  return [...findings]
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
    .map((f) => {
      const props = [
        f.file ? `file=${escapeProperty(f.file)}` : '',
        f.line ? `line=${f.line}` : '',
        f.column ? `col=${f.column}` : '',
        `title=${escapeProperty(`${f.rule}${f.path ? ` ${f.path}` : ''}`)}`,
      ].filter(Boolean);
      return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message)}`;
    });
}

/** A Markdown table of the findings, for $GITHUB_STEP_SUMMARY. */
export function toMarkdownSummary(findings: Finding[]): string {
  if (findings.length === 0) return '### tsbuild lint\n\nNo findings.\n';
  const rows = findings.map((f) => `| ${f.severity} | ${f.rule} | ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : ''} | ${f.message.replace(/\|/g, '\\|')} |`);
  return ['### tsbuild lint', '', '| severity | rule | where | finding |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

/** GitHub's escaping of workflow command data and properties. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
