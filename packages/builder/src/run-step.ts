import { rmSync } from 'node:fs';
import path from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import type { RunInstruction, Step } from '@tsbuild/frontend';
import { runContainer, type ExtraHost, type RunMount as ContainerMount, type RuntimeName } from '@tsbuild/executor';

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
  if (result.exitCode !== 0) {
    throw new TsbuildError('RUN_FAILED', `process "${shown(args)}" did not complete successfully: exit code: ${result.exitCode}`, {
      location: step.location,
      detail: tail,
    });
  }
}

function runNetwork(instruction: RunInstruction, fallback: 'host' | 'none' | undefined): 'host' | 'none' {
  if (instruction.network === 'none') return 'none';
  if (instruction.network === 'host') return 'host';
  return fallback ?? 'host';
}

function shown(args: string[]): string {
  const text = args.join(' ').replace(/\s+/g, ' ').trim();
  return text.length > COMMAND_SHOWN_CHARS ? `${text.slice(0, COMMAND_SHOWN_CHARS - 3)}...` : text;
}
