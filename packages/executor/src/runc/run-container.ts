import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TsbuildError } from '@tsbuild/errors';
import { forEachLine } from './output-lines.js';
import { hostnameFile, hostsFile, resolvConf } from './etc-files.js';
import { GENERATED_FILES, runtimeConfig } from './oci-config.js';
import { ensureWorkdir, missingMountpoints } from './rootfs-paths.js';
import { logArgs, logErrors, runtimeCommand, runtimeFailure, runtimeNotFound } from './runtime-cli.js';
import { bundlesDir, defaultRunsRoot, newContainerId, runtimeStateDir } from './state-dirs.js';
import type { OutputStream, ResolvedUser, RunOptions, RunResult, RunSpec, RuntimeName } from './types.js';
import { resolveUser } from './user.js';

const DEFAULT_HOSTNAME = 'tsbuild';
const KILL_RETRY_MS = 50;

/**
 * Runs one command in a throwaway container on `spec.rootfs` with runc (or crun) and resolves with
 * its exit code; a non-zero exit is a result, not an error. Fails with RUNTIME_ERROR when the runtime
 * is missing or cannot start the container, and with `signal.reason` when aborted. On every path the
 * container is deleted and its bundle directory removed.
 */
export async function runContainer(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const runtime = spec.runtime ?? 'runc';
  const stateRoot = spec.stateRoot ?? defaultRunsRoot();
  const user = resolveUser(spec.rootfs, spec.user);
  ensureWorkdir(spec.rootfs, spec.cwd ?? '/', user);
  const createdMountpoints = missingMountpoints(spec.rootfs, spec);

  const id = newContainerId();
  const stateDir = runtimeStateDir(stateRoot, runtime);
  const bundle = path.join(bundlesDir(stateRoot), id);
  try {
    writeBundle(bundle, spec, user);
    const exitCode = await runInBundle(runtime, stateDir, bundle, id, options);
    return { exitCode, createdMountpoints };
  } finally {
    await runtimeCommand(runtime, stateDir, ['delete', '--force', id]).catch(() => undefined);
    rmSync(bundle, { recursive: true, force: true });
  }
}

function writeBundle(bundle: string, spec: RunSpec, user: ResolvedUser): void {
  mkdirSync(bundle, { recursive: true, mode: 0o700 });
  const hostname = spec.hostname ?? DEFAULT_HOSTNAME;
  const files: Record<(typeof GENERATED_FILES)[keyof typeof GENERATED_FILES], string> = {
    hosts: hostsFile(hostname, spec.extraHosts),
    'resolv.conf': resolvConf(spec.network ?? 'host'),
    hostname: hostnameFile(hostname),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(bundle, name), content, { mode: 0o644 });
  const config = runtimeConfig({ ...spec, hostname }, user, bundle);
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

/** Starts `<runtime> run` in the foreground, streams its output and waits for it to end. */
async function runInBundle(runtime: RuntimeName, stateDir: string, bundle: string, id: string, options: RunOptions): Promise<number> {
  const logFile = path.join(bundle, 'log.json');
  const child = spawn(runtime, ['--root', stateDir, ...logArgs(runtime, logFile), 'run', '--bundle', bundle, id], {
    // Own process group: a terminal's Ctrl-C reaches us, and we decide how the container ends.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? runtimeNotFound(runtime) : error));
  });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => resolve([code, killedBy]));
  });
  // The runtime prints its own failure on the stderr it shares with the command, after logging it:
  // that line is reported once, as the RUNTIME_ERROR, not also as command output. (runc logs first,
  // so this always works; crun may print before its log is written, and the line then shows twice.)
  const isRuntimeMessage = (line: string) => logHasContent(logFile) && logErrors(readLog(logFile)).includes(line);
  const streamed = [streamLines(child, 'stdout', options), streamLines(child, 'stderr', options, isRuntimeMessage)];
  // When the runtime does not even start these are never awaited; a stream error must not go unhandled.
  for (const pending of streamed) pending.catch(() => undefined);

  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void killUntilExited(runtime, stateDir, id, child);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await spawned;
    const [[code, killedBy]] = await Promise.all([closed, ...streamed]);
    if (aborted) throw options.signal?.reason ?? new TsbuildError('RUN_ABORTED', 'the RUN was aborted');
    if (code === null) throw new TsbuildError('RUNTIME_ERROR', `${runtime} was killed by ${killedBy ?? 'a signal'}`);
    if (code !== 0) {
      const errors = logErrors(readLog(logFile));
      if (errors.length > 0) throw runtimeFailure(runtime, errors);
    }
    return code;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function streamLines(child: ChildProcess, stream: OutputStream, options: RunOptions, skip?: (line: string) => boolean): Promise<unknown> {
  const input = stream === 'stdout' ? child.stdout : child.stderr;
  if (!input) return Promise.resolve();
  return forEachLine(input, (line) => {
    if (!skip?.(line)) options.onOutput?.(line, stream);
  });
}

/**
 * `<runtime> kill KILL` until the foreground runtime exits: the container may not exist yet when the
 * abort comes, and signalling the runtime itself would only reach a pid 1 that may ignore it.
 */
async function killUntilExited(runtime: RuntimeName, stateDir: string, id: string, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null) {
    await runtimeCommand(runtime, stateDir, ['kill', id, 'KILL']).catch(() => undefined);
    await sleep(KILL_RETRY_MS);
  }
}

function logHasContent(logFile: string): boolean {
  return (statSync(logFile, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

function readLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
}
