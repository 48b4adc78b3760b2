import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { RawInstruction } from '@tsbuild/frontend';

import type { Finding } from './finding.js';

/** A RUN's shell script, laid out so that script line N is Dockerfile line `firstLine + N - 1`, columns unchanged. */
interface RunScript {
  run: RawInstruction;
  dialect: 'sh' | 'bash';
  text: string;
  firstLine: number;
}

interface ShellcheckComment {
  file: string;
  line: number;
  column: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

/** Findings of a RUN are suppressed by a comment above the RUN, so each carries its RUN's line. */
export interface ShellFinding {
  finding: Finding;
  instructionLine: number;
}

/**
 * Not useful on a Dockerfile: variables come from ENV/ARG (SC2154), sourced files are in the
 * image, not here (SC1090, SC1091).
 */
const EXCLUDED = 'SC2154,SC1090,SC1091';
const SHELLS: Record<string, 'sh' | 'bash'> = { sh: 'sh', dash: 'sh', ash: 'sh', bash: 'bash' };
const HEREDOC_ONLY = /^<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1$/;

/**
 * Runs `shellcheck` (when installed) over every shell-form RUN and RUN heredoc script, once per
 * Dockerfile, and maps its findings back to Dockerfile lines and columns. Returns [] when
 * shellcheck is missing or the Dockerfile uses the backtick escape (a Windows shell).
 */
export async function shellcheckRuns(instructions: RawInstruction[], file: string, escape: '\\' | '`', binary = 'shellcheck'): Promise<ShellFinding[]> {
  if (escape !== '\\') return [];
  const scripts = collectScripts(instructions);
  if (scripts.length === 0) return [];
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbuild-shellcheck-'));
  try {
    const files = scripts.map((script, i) => {
      const name = path.join(dir, `run-${i}.sh`);
      // The shebang names the dialect; it is line 1, so shellcheck's lines are one ahead of ours.
      writeFileSync(name, `#!/bin/${script.dialect}\n${script.text}\n`);
      return name;
    });
    const comments = await runShellcheck(binary, files);
    if (comments === undefined) return [];
    return comments.flatMap((comment) => {
      const script = scripts[files.indexOf(comment.file)];
      if (!script || comment.line < 2) return [];
      return [{ finding: toFinding(comment, file, script.firstLine + comment.line - 2), instructionLine: script.run.range.start }];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toFinding(comment: ShellcheckComment, file: string, line: number): Finding {
  const severity = comment.level === 'error' ? 'error' : comment.level === 'warning' ? 'warning' : 'info';
  const category = comment.level === 'style' ? 'style' : comment.level === 'info' ? 'best-practice' : 'correctness';
  return { rule: 'ShellCheck', category, severity, message: `SC${comment.code}: ${comment.message}`, file, line, column: comment.column };
}

function runShellcheck(binary: string, files: string[]): Promise<ShellcheckComment[] | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['--norc', '-f', 'json1', '-e', EXCLUDED, ...files], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      // Exit 1 means "found something"; a missing binary or a crash means no shellcheck findings.
      if (error && (typeof error.code !== 'number' || error.code > 1)) return resolve(undefined);
      try {
        resolve((JSON.parse(stdout) as { comments: ShellcheckComment[] }).comments);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** The shell of each stage follows SHELL; a stage FROM another stage starts with that stage's. */
function collectScripts(instructions: RawInstruction[]): RunScript[] {
  const scripts: RunScript[] = [];
  const stageShells = new Map<string, string[]>();
  let shell: string[] = ['/bin/sh', '-c'];
  let stage: string | undefined;
  for (const raw of instructions) {
    if (raw.keyword === 'FROM') {
      shell = stageShells.get((raw.args[0] ?? '').toLowerCase()) ?? ['/bin/sh', '-c'];
      stage = raw.args[2]?.toLowerCase();
      if (stage) stageShells.set(stage, shell);
      continue;
    }
    if (raw.keyword === 'SHELL') {
      shell = raw.args;
      if (stage) stageShells.set(stage, shell);
      continue;
    }
    if (raw.keyword !== 'RUN' || raw.json) continue;
    const dialect = SHELLS[path.posix.basename(shell[0] ?? '')];
    if (!dialect) continue;
    const script = scriptOf(raw, dialect);
    if (script) scripts.push(script);
  }
  return scripts;
}

function scriptOf(run: RawInstruction, dialect: 'sh' | 'bash'): RunScript | undefined {
  const lines = run.original.split('\n');
  const command = (run.args[0] ?? '').trim();
  if (run.heredocs.length === 1 && HEREDOC_ONLY.test(command)) return heredocScript(run, lines, dialect);
  const first = blankPrefix(lines[0] ?? '', run);
  if (first === undefined) return undefined;
  const body = lines.slice(1).map((line) => (run.heredocs.length === 0 && /^\s*(#.*)?$/.test(line) ? continuationOnly(line) : line));
  return { run, dialect, text: [first, ...body].join('\n'), firstLine: run.range.start };
}

/**
 * `RUN <<EOF` runs the heredoc as the script: its lines as written (columns kept), with the
 * dialect its shebang names; another interpreter's script is not shellcheck's to read.
 */
function heredocScript(run: RawInstruction, lines: string[], dialect: 'sh' | 'bash'): RunScript | undefined {
  const marker = lines.findIndex((line) => line.includes('<<'));
  const bodyLines = lines.slice(marker + 1, -1);
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(bodyLines[0]?.trim() ?? '');
  let scriptDialect = dialect;
  if (shebang) {
    const interpreter = path.posix.basename(shebang[1] === '/usr/bin/env' ? (shebang[2] ?? '') : shebang[1]!);
    const named = SHELLS[interpreter];
    if (!named) return undefined;
    scriptDialect = named;
    bodyLines[0] = ''; // our shebang says the same; keep the line so numbers stay put
  }
  return { run, dialect: scriptDialect, text: bodyLines.join('\n'), firstLine: run.range.start + marker + 1 };
}

/** The first line with `RUN` and its flags replaced by spaces, so columns stay those of the Dockerfile. */
function blankPrefix(line: string, run: RawInstruction): string | undefined {
  let rest = line;
  let consumed = 0;
  const take = (pattern: RegExp): boolean => {
    const match = pattern.exec(rest);
    if (!match) return false;
    consumed += match[0].length;
    rest = rest.slice(match[0].length);
    return true;
  };
  if (!take(new RegExp(`^\\s*${run.writtenKeyword}\\s+`))) return undefined;
  for (const flag of run.flags) if (!take(new RegExp(`^${escapeRegExp(flag)}\\s+`))) return undefined;
  return ' '.repeat(consumed) + rest;
}

/** A comment or blank line inside a continuation: Docker drops it; a lone `\` keeps the shell's line joined the same way. */
function continuationOnly(line: string): string {
  return line.replace(/\S.*$/, '').concat('\\');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
