import { checkRoot } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';

export const checkCommand: Command = {
  name: 'check',
  help: `Usage: tsbuild check

Reads every blob of $TSBUILD_ROOT and checks it against its digest; checks that every image name,
cache record and snapshot refers to what exists, and reports what interrupted runs left behind.
Exits 1 when anything is wrong ('tsbuild prune' removes leftovers and dangling records).

Examples:
  tsbuild check`,
  async run(argv) {
    const { positionals } = parseCommandArgs('check', argv, {});
    if (positionals.length > 0) throw new TsbuildError('USAGE', "check: takes no arguments. See 'tsbuild check --help'.", { kind: 'usage' });
    const report = await checkRoot(defaultRoot());
    for (const problem of report.problems) out(`problem: ${problem}`);
    out(`checked ${report.blobs} blobs, ${report.images} image names, ${report.records} cache records, ${report.snapshots} snapshots: ${report.problems.length === 0 ? 'all good' : `${report.problems.length} problem(s)`}`);
    return report.problems.length === 0 ? 0 : 1;
  },
};
