import { pruneRoot } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';
import { humanSize } from '../format/size.js';

export const pruneCommand: Command = {
  name: 'prune',
  help: `Usage: tsbuild prune [--all]

Removes blobs that no image name and no cache record needs, cache records whose layer is gone, and
what interrupted runs left. With --all, also the whole step cache, the RUN cache mounts and every
unpacked snapshot (they are remade when needed). Images that have a name keep everything they need.
Blobs written in the last ten minutes are kept, for builds running right now.

Options:
      --all                 Also remove the step cache, cache mounts and snapshots
      --keep-storage SIZE   Also give up the oldest cache records until blobs fit in SIZE (e.g. 10GB, 500MB)

Examples:
  tsbuild prune
  tsbuild rmi old-image && tsbuild prune --all`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('prune', argv, { all: { type: 'boolean' }, 'keep-storage': { type: 'string' } });
    if (positionals.length > 0) throw new TsbuildError('USAGE', "prune: takes no arguments. See 'tsbuild prune --help'.", { kind: 'usage' });
    const keep = values['keep-storage'] === undefined ? undefined : parseSize(values['keep-storage'] as string);
    const result = await pruneRoot(defaultRoot(), { all: values.all === true, ...(keep === undefined ? {} : { keepBytes: keep }) });
    out(`removed ${result.blobs} blobs (${humanSize(result.bytes)}), ${result.records} cache records, ${result.snapshots} snapshots`);
    return 0;
  },
};

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) throw new TsbuildError('USAGE', `prune: --keep-storage takes a size such as 10GB or 500MB, not "${text}"`, { kind: 'usage' });
  return Math.floor(Number(match[1]) * unit);
}
