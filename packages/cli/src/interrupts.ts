import { constants } from 'node:os';

import { TsbuildError } from '@tsbuild/errors';

/** A build stopped by a signal; the process exits as a shell reports it: 128 + the signal's number. */
export class InterruptedError extends TsbuildError {
  readonly exitCode: number;

  constructor(signal: NodeJS.Signals) {
    super('INTERRUPTED', `build interrupted by ${signal}`, { kind: 'failure' });
    this.exitCode = 128 + constants.signals[signal];
  }
}

/**
 * Runs `work` with an AbortSignal that SIGINT/SIGTERM trigger, so a Ctrl-C stops the running
 * container and lets the build clean its mounts before the process exits (130, or 143 for SIGTERM).
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    controller.abort(new InterruptedError(name));
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
