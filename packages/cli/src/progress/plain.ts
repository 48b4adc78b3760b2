import type { BuildEvent } from '@tsbuild/builder';
import { formatLocation } from '@tsbuild/errors';

import { err } from '../output.js';

/**
 * BuildKit's `--progress=plain`: one numbered block per step, output lines prefixed with the
 * step number and the seconds since it started, then DONE or CACHED. Fit for CI logs; in GitHub
 * Actions each step is a collapsible group and a failure an annotation on its line.
 */
export function plainProgress(options: { debugCache?: boolean } = {}): (event: BuildEvent) => void {
  const githubActions = process.env.GITHUB_ACTIONS === 'true';
  const numbers = new Map<string, number>();
  const started = new Map<string, number>();
  const numberOf = (step: string): number => {
    let n = numbers.get(step);
    if (n === undefined) {
      n = numbers.size + 1;
      numbers.set(step, n);
    }
    return n;
  };
  return (event) => {
    switch (event.type) {
      case 'step-started':
        started.set(event.step, event.time);
        if (githubActions) err(`::group::#${numberOf(event.step)} ${event.name}`);
        err(`#${numberOf(event.step)} ${event.name}`);
        break;
      case 'step-log': {
        const seconds = ((event.time - (started.get(event.step) ?? event.time)) / 1000).toFixed(3);
        err(`#${numberOf(event.step)} ${seconds} ${event.line}`);
        break;
      }
      case 'step-miss':
        err(`#${numberOf(event.step)} cache miss: ${event.reason}`);
        if (options.debugCache) err(`#${numberOf(event.step)} cache key ${event.key}`);
        break;
      case 'step-cached':
        if (options.debugCache && event.key) err(`#${numberOf(event.step)} cache key ${event.key}`);
        err(`#${numberOf(event.step)} CACHED`);
        if (githubActions) err('::endgroup::');
        break;
      case 'step-done':
        err(`#${numberOf(event.step)} DONE ${event.seconds.toFixed(1)}s`);
        if (githubActions) err('::endgroup::');
        break;
      case 'step-error':
        err(`#${numberOf(event.step)} ERROR ${formatLocation(event.location)}: ${event.message}`);
        if (githubActions) {
          err('::endgroup::');
          err(`::error file=${event.location.file},line=${event.location.line}::${event.message}`);
        }
        break;
      case 'image-pulled':
        err(`pulled ${event.ref} (${event.digest})`);
        break;
      case 'image-written':
        break;
    }
  };
}
