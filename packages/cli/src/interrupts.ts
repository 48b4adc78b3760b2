import { TsbuildError } from '@tsbuild/errors';

/**
 * Runs `work` with an AbortSignal that SIGINT/SIGTERM trigger, so a Ctrl-C stops the running
 * container and lets the build clean its mounts before the process exits (exit code 130).
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    controller.abort(new TsbuildError('INTERRUPTED', `build interrupted by ${name}`, { kind: 'failure' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
