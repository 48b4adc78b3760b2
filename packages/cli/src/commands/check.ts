import { checkRoot } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';

export const checkCommand: Command = {
  name: 'check',
  help: `Usage: tsbuild check

First removes what killed runs left (mounts, containers, temp dirs, half-written blobs), as the
next build would. Then reads every blob of $TSBUILD_ROOT and checks it against its digest, and
checks that every image name, cache record and snapshot refers to what exists. Exits 1 when
anything is wrong ('tsbuild prune' removes dangling records).

Examples:
  tsbuild check`,
  async run(argv) {
    const { positionals } = parseCommandArgs('check', argv, {});
    if (positionals.length > 0) throw new TsbuildError('USAGE', "check: takes no arguments. See 'tsbuild check --help'.", { kind: 'usage' });
    const report = await checkRoot(defaultRoot());
    if (report.cleaned > 0) out(`removed ${report.cleaned} leftover(s) of interrupted runs`);
    for (const problem of report.problems) out(`problem: ${problem}`);
    out(`checked ${report.blobs} blobs, ${report.images} image names, ${report.records} cache records, ${report.snapshots} snapshots: ${report.problems.length === 0 ? 'all good' : `${report.problems.length} problem(s)`}`);
    return report.problems.length === 0 ? 0 : 1;
  },
};
