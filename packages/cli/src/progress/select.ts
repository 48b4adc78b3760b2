import type { BuildEvent } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';

import { plainProgress } from './plain.js';
import { rawJsonProgress } from './rawjson.js';
import { TtyProgress } from './tty.js';

export interface Progress {
  onEvent(event: BuildEvent): void;
  /** Called once the build is over (successfully or not), before anything else is printed. */
  stop(): void;
}

const MODES = ['auto', 'tty', 'plain', 'rawjson', 'quiet'];

/** `auto` is the live view on a terminal, plain lines in CI (`CI=true`) or when stderr is not a TTY. */
export function selectProgress(mode: string, quiet: boolean, options: { debugCache?: boolean } = {}): Progress {
  if (!MODES.includes(mode)) {
    throw new TsbuildError('USAGE', `build: --progress must be one of ${MODES.join(', ')}, not "${mode}"`, { kind: 'usage' });
  }
  if (quiet || mode === 'quiet') return { onEvent: () => undefined, stop: () => undefined };
  if (mode === 'rawjson') return { onEvent: rawJsonProgress(), stop: () => undefined };
  // --debug-cache wants the keys, which the plain log prints.
  const tty = !options.debugCache && (mode === 'tty' || (mode === 'auto' && process.stderr.isTTY === true && !isCi()));
  if (tty) {
    const view = new TtyProgress();
    return { onEvent: view.onEvent, stop: () => view.stop() };
  }
  return { onEvent: plainProgress(options), stop: () => undefined };
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}
