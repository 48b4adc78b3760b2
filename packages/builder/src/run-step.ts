import { lstatSync, readdirSync, rmdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import type { RunInstruction, Step } from '@tsbuild/frontend';
import { runContainer, runtimeMountTargets, type ExtraHost, type RunMount as ContainerMount, type RuntimeName } from '@tsbuild/executor';
import { isOpaqueDir } from '@tsbuild/snapshot';

import type { MountedRoot } from './workspace.js';

export interface RunStepOptions {
  runtime?: RuntimeName;
  /** Where runc keeps container state and bundles: `<root>/runs`. */
  stateRoot: string;
  /** The network when the RUN does not choose one. */
  network?: 'host' | 'none';
  extraHosts?: ExtraHost[];
  signal?: AbortSignal;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const ERROR_TAIL_LINES = 12;
const COMMAND_SHOWN_CHARS = 160;

/**
 * BuildKit's argv for a RUN: exec form as is; shell form through SHELL. With heredocs, the script
 * carries their bodies as the shell reads them (`RUN python3 <<EOF` feeds python3 its stdin).
 */
export function runArgv(instruction: RunInstruction, shell: string[]): string[] {
  const command = instruction.command;
  if (command.form === 'exec') return command.argv;
  const bodies = instruction.heredocs.map((h) => `\n${h.content}${h.content.endsWith('\n') ? '' : '\n'}${h.name}`);
  const heredocOnly = instruction.heredocs.length === 1 && /^\s*<<-?\s*["']?\w+["']?\s*$/.test(command.script);
  if (heredocOnly) return runHeredocScript(instruction.heredocs[0]!.content, shell);
  return [...shell, command.script + bodies.join('')];
}

/** `RUN <<EOF` alone runs the body: with its `#!` interpreter when it has one, else with SHELL. */
function runHeredocScript(content: string, shell: string[]): string[] {
  const shebang = /^#!\s*(\S+)(?:[ \t]+(.*))?\n/.exec(content);
  if (!shebang) return [...shell, content];
  return [...shell, `${shebang[1]}${shebang[2] ? ` ${shebang[2]}` : ''} <<'TSBUILD_HEREDOC_EOF'\n${content}\nTSBUILD_HEREDOC_EOF`];
}

/** RUN sees ENV, then the ARGs in scope that ENV does not shadow. */
export function runEnv(step: Step): string[] {
  const env = new Map(step.state.env);
  for (const [key, value] of step.state.args) if (!env.has(key)) env.set(key, value);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/**
 * Runs the command on the mounted root and removes from the upper directory the mountpoints the
 * runtime had to create, so nothing of the runtime reaches the layer.
 */
export async function runCommand(step: Step, root: MountedRoot, extra: { mounts: ContainerMount[]; env: string[] }, options: RunStepOptions): Promise<void> {
  const instruction = step.instruction as RunInstruction;
  const args = runArgv(instruction, step.state.shell);
  const parentsBefore = mountParents(root.merged, extra.mounts);
  const tail: string[] = [];
  const result = await runContainer(
    {
      rootfs: root.merged,
      args,
      env: [...runEnv(step), ...extra.env],
      cwd: step.state.workdir,
      user: step.state.user,
      network: runNetwork(instruction, options.network),
      ...(options.extraHosts ? { extraHosts: options.extraHosts } : {}),
      mounts: extra.mounts,
      ...(options.runtime ? { runtime: options.runtime } : {}),
      stateRoot: options.stateRoot,
    },
    {
      onOutput: (line, stream) => {
        tail.push(line);
        if (tail.length > ERROR_TAIL_LINES) tail.shift();
        options.onOutput?.(line, stream);
      },
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  for (const created of result.createdMountpoints) rmSync(path.join(root.upper, created), { recursive: true, force: true });
  pruneCopiedUpParents(root.upper, parentsBefore);
  if (result.exitCode !== 0) {
    throw new TsbuildError('RUN_FAILED', `process "${shown(args)}" did not complete successfully: exit code: ${result.exitCode}`, {
      location: step.location,
      detail: tail,
    });
  }
}

/** The directories holding the runtime's mountpoints (/etc for /etc/hosts …), as they were before the run. */
function mountParents(rootfs: string, mounts: ContainerMount[]): Map<string, Stats> {
  const parents = new Map<string, Stats>();
  for (const target of runtimeMountTargets({ mounts })) {
    for (let dir = path.posix.dirname(target); dir !== '/'; dir = path.posix.dirname(dir)) {
      if (parents.has(dir)) continue;
      const stat = lstatOrUndefined(path.join(rootfs, dir));
      if (stat?.isDirectory()) parents.set(dir, stat);
    }
  }
  return parents;
}

/**
 * Creating a mountpoint inside an existing directory (e.g. /etc/hosts) copies that directory up
 * into the upper dir. Once the mountpoint is removed, an empty, non-opaque copy whose owner and
 * mode are unchanged says nothing the lower layers do not: drop it, deepest first.
 */
function pruneCopiedUpParents(upper: string, before: Map<string, Stats>): void {
  const deepestFirst = [...before.keys()].sort((a, b) => b.length - a.length);
  for (const dir of deepestFirst) {
    const copy = path.join(upper, dir);
    const stat = lstatOrUndefined(copy);
    const was = before.get(dir)!;
    if (!stat?.isDirectory() || stat.mode !== was.mode || stat.uid !== was.uid || stat.gid !== was.gid) continue;
    if (readdirSync(copy).length > 0 || isOpaqueDir(copy)) continue;
    rmdirSync(copy);
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function runNetwork(instruction: RunInstruction, fallback: 'host' | 'none' | undefined): 'host' | 'none' {
  if (instruction.network === 'none') return 'none';
  if (instruction.network === 'host') return 'host';
  return fallback ?? 'host';
}

function shown(args: string[]): string {
  // A heredoc script is shown by its first line, as the Dockerfile names it.
  const lines = args.join(' ').split('\n');
  const text = `${lines[0]!.replace(/\s+/g, ' ').trim()}${lines.length > 1 ? ' ...' : ''}`;
  return text.length > COMMAND_SHOWN_CHARS ? `${text.slice(0, COMMAND_SHOWN_CHARS - 3)}...` : text;
}
