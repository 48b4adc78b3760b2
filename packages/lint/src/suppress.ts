import type { Finding } from './finding.js';

/**
 * Whether a finding is switched off: by the `# check=skip=Rule1,Rule2` (or `skip=all`) parser
 * directive, or by `# tsbuild-lint ignore=Rule1,Rule2` on the line right above its line.
 */
export function suppressed(finding: Finding, text: string, checkDirective: string | undefined): boolean {
  const skip = /(?:^|;)\s*skip=([^;]*)/.exec(checkDirective ?? '')?.[1]?.split(',').map((s) => s.trim()) ?? [];
  if (skip.includes('all') || skip.includes(finding.rule)) return true;
  if (finding.line === undefined || finding.line < 2) return false;
  const above = text.split('\n')[finding.line - 2] ?? '';
  const ignore = /^\s*#\s*tsbuild-lint\s+ignore=([\w,\s]+)/.exec(above)?.[1]?.split(',').map((s) => s.trim()) ?? [];
  return ignore.includes(finding.rule) || ignore.includes('all');
}
