import { diskUsage } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';
import { humanSize } from '../format/size.js';

export const duCommand: Command = {
  name: 'du',
  help: `Usage: tsbuild du [--format json]

Counts and sizes of $TSBUILD_ROOT: blobs (layers, configs, manifests), unpacked snapshots, step
cache records and RUN --mount=type=cache directories.

Examples:
  tsbuild du`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('du', argv, { format: { type: 'string', default: 'table' } });
    if (positionals.length > 0) throw new TsbuildError('USAGE', "du: takes no arguments. See 'tsbuild du --help'.", { kind: 'usage' });
    const usage = await diskUsage(defaultRoot());
    if (values.format === 'json') {
      out(JSON.stringify(usage, null, 2));
      return 0;
    }
    out(`${'TYPE'.padEnd(14)}${'COUNT'.padStart(8)}  SIZE`);
    out(`${'blobs'.padEnd(14)}${String(usage.blobs.count).padStart(8)}  ${humanSize(usage.blobs.bytes)}`);
    out(`${'snapshots'.padEnd(14)}${String(usage.snapshots.count).padStart(8)}  ${humanSize(usage.snapshots.bytes)}`);
    out(`${'cache records'.padEnd(14)}${String(usage.records).padStart(8)}`);
    out(`${'cache mounts'.padEnd(14)}${String(usage.cacheMounts.count).padStart(8)}  ${humanSize(usage.cacheMounts.bytes)}`);
    return 0;
  },
};
