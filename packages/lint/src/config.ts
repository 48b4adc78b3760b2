import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';

import type { Finding, Severity } from './finding.js';
import { RULES } from './rules.js';

/** `.tsbuild-lint.json`: rules switched off and severities changed for a project. */
export interface LintConfig {
  ignore?: string[];
  severity?: Record<string, Severity>;
}

export const LINT_CONFIG_FILE = '.tsbuild-lint.json';
const SEVERITIES = new Set(['error', 'warning', 'info']);

/** Reads and checks a lint config; unknown rules and severities are usage errors naming the file. */
export function readLintConfig(file: string): LintConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TsbuildError('LINT_CONFIG_INVALID', `cannot read lint config ${file}: ${(error as Error).message}`, { kind: 'usage' });
  }
  const fail = (why: string) => new TsbuildError('LINT_CONFIG_INVALID', `lint config ${file}: ${why}`, { kind: 'usage' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('must be an object like {"ignore": ["Rule"], "severity": {"Rule": "error"}}');
  const config = value as Record<string, unknown>;
  for (const key of Object.keys(config)) if (key !== 'ignore' && key !== 'severity') throw fail(`unknown key "${key}" (known: ignore, severity)`);
  const known = new Set(RULES.map((r) => r.id));
  const ignore = config.ignore ?? [];
  if (!Array.isArray(ignore) || ignore.some((r) => typeof r !== 'string')) throw fail('"ignore" must be a list of rule names');
  for (const rule of ignore as string[]) if (!known.has(rule)) throw fail(`unknown rule "${rule}" in "ignore"`);
  const severity = config.severity ?? {};
  if (typeof severity !== 'object' || severity === null || Array.isArray(severity)) throw fail('"severity" must map rule names to error, warning or info');
  for (const [rule, level] of Object.entries(severity)) {
    if (!known.has(rule)) throw fail(`unknown rule "${rule}" in "severity"`);
    if (typeof level !== 'string' || !SEVERITIES.has(level)) throw fail(`severity of ${rule} must be error, warning or info, not ${JSON.stringify(level)}`);
  }
  return { ignore: ignore as string[], severity: severity as Record<string, Severity> };
}

/** The context's `.tsbuild-lint.json`, when it has one. */
export function findLintConfig(dir: string): LintConfig | undefined {
  const file = path.join(dir, LINT_CONFIG_FILE);
  return existsSync(file) ? readLintConfig(file) : undefined;
}

/** Drops ignored rules and applies severity overrides. */
export function applyLintConfig(findings: Finding[], config: LintConfig | undefined): Finding[] {
  if (!config) return findings;
  return findings
    .filter((f) => !config.ignore?.includes(f.rule))
    .map((f) => (config.severity?.[f.rule] ? { ...f, severity: config.severity[f.rule]! } : f));
}
