import { pruneRoot } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';
import { humanSize } from '../format/size.js';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'Remove blobs, cache records and leftovers nothing needs (never those of named images)',
  help: `Usage: tsbuild prune [--all]

Removes blobs that no image name and no cache record needs, cache records whose layer is gone, and
what interrupted runs left. With --all, also the whole step cache, the RUN cache mounts and every
unpacked snapshot (they are remade when needed). Images that have a name keep everything they need.
Blobs written in the last ten minutes are kept, for builds running right now.

Options:
      --all   Also remove the step cache, cache mounts and snapshots

Examples:
  tsbuild prune
  tsbuild rmi old-image && tsbuild prune --all`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('prune', argv, { all: { type: 'boolean' } });
    if (positionals.length > 0) throw new TsbuildError('USAGE', "prune: takes no arguments. See 'tsbuild prune --help'.", { kind: 'usage' });
    const result = await pruneRoot(defaultRoot(), { all: values.all === true });
    out(`removed ${result.blobs} blobs (${humanSize(result.bytes)}), ${result.records} cache records, ${result.snapshots} snapshots`);
    return 0;
  },
};
