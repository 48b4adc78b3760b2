import { TsbuildError } from '@tsbuild/errors';
import { openRegistryClient, type RegistryProgress } from '@tsbuild/registry';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { err, out } from '../output.js';

export const REGISTRY_FLAGS = {
  'registry-mirror': { type: 'string', multiple: true },
  'insecure-registry': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const REGISTRY_FLAGS_HELP = `  --registry-mirror URL       Try this mirror of docker.io first (or REGISTRY=URL for another registry)
  --insecure-registry HOST    Speak plain HTTP to HOST[:PORT] (loopback addresses always are)
  -q, --quiet                 Print only the image digest

Mirrors and insecure registries can also be set in $TSBUILD_ROOT/registries.json
({"mirrors": {"docker.io": ["http://127.0.0.1:5000"]}, "insecure": ["myhost:5000"]}) and in
TSBUILD_REGISTRY_MIRRORS / TSBUILD_INSECURE_REGISTRIES (comma lists). Credentials come from
~/.docker/config.json (see 'tsbuild login').`;

/** One stderr line per blob as it finishes. */
export function blobReporter(quiet: boolean): ((event: RegistryProgress) => void) | undefined {
  if (quiet) return undefined;
  return (event) => {
    if (event.kind === 'blob-done') err(`${event.digest.slice(7, 19)}: ${event.outcome} (${event.size} bytes)`);
  };
}

export const pullCommand: Command = {
  name: 'pull',
  help: `Usage: tsbuild pull [OPTIONS] NAME[:TAG|@DIGEST]

Fetches the image into the local store, verifying every blob against its digest. From a
multi-platform index the linux image for this machine's architecture is taken.

Options:
${REGISTRY_FLAGS_HELP}

Examples:
  tsbuild pull busybox
  tsbuild pull localhost:5000/team/app:v1
  tsbuild pull --registry-mirror http://127.0.0.1:5000 alpine:3.20`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('pull', argv, REGISTRY_FLAGS);
    if (positionals.length !== 1) {
      throw new TsbuildError('USAGE', `pull: expected one image reference, got ${positionals.length}. See 'tsbuild pull --help'.`, { kind: 'usage' });
    }
    const quiet = values.quiet === true;
    const client = await openRegistryClient({
      mirrors: values['registry-mirror'] as string[] | undefined,
      insecure: values['insecure-registry'] as string[] | undefined,
      onProgress: blobReporter(quiet),
    });
    const pulled = await client.pull(positionals[0] ?? '');
    if (quiet) out(pulled.top.digest);
    else out(`Pulled ${pulled.reference.toString()} (${pulled.top.digest})`);
    return 0;
  },
};
