import type { BuildEvent } from '@tsbuild/builder';

import { err } from '../output.js';

/** `--progress=rawjson`: each build event as one JSON object per line on stderr (schema in the README). */
export function rawJsonProgress(): (event: BuildEvent) => void {
  return (event) => err(JSON.stringify(event));
}
