import { execFile } from 'node:child_process';
import { TsbuildError } from '@tsbuild/errors';
import type { RuntimeName } from './types.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `<runtime> --root <stateDir> ...args` to completion (list, kill, delete). */
export function runtimeCommand(runtime: RuntimeName, stateDir: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(runtime, ['--root', stateDir, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(runtimeNotFound(runtime));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function runtimeNotFound(runtime: RuntimeName): TsbuildError {
  return new TsbuildError('RUNTIME_ERROR', `${runtime} not found: apt-get install ${runtime}`);
}

/** `runc` and `crun` spell the log option differently. */
export function logArgs(runtime: RuntimeName, logFile: string): string[] {
  return runtime === 'crun' ? [`--log=file:${logFile}`, '--log-format=json'] : ['--log', logFile, '--log-format', 'json'];
}

/** Error messages from a runtime's JSON log (one object per line; crun omits the newlines). */
export function logErrors(logText: string): string[] {
  const messages: string[] = [];
  for (const chunk of logText.split(/(?<=\})\s*(?=\{)/)) {
    try {
      const entry = JSON.parse(chunk) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) messages.push(entry.msg);
    } catch {
      // A torn last line (the runtime was killed mid-write) carries nothing we can use.
    }
  }
  return messages;
}

/** A runtime's failure to create or start the container, with what to do about it. */
export function runtimeFailure(runtime: RuntimeName, messages: string[]): TsbuildError {
  const message = messages[messages.length - 1] ?? `${runtime} failed`;
  if (runtime === 'crun' && message.includes('cgroups in hybrid mode not supported')) {
    return new TsbuildError(
      'RUNTIME_ERROR',
      'crun cannot run containers on this host (cgroups in hybrid mode not supported): use the default runtime, runc',
      { detail: messages },
    );
  }
  return new TsbuildError('RUNTIME_ERROR', `${runtime} could not run the container: ${message}`, { detail: messages });
}
