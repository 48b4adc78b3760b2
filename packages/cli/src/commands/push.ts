import { TsbuildError } from '@tsbuild/errors';
import { parseReference } from '@tsbuild/oci';
import { openRegistryClient } from '@tsbuild/registry';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { findImage } from '../image-lookup.js';
import { out } from '../output.js';
import { blobReporter, REGISTRY_FLAGS, REGISTRY_FLAGS_HELP } from './pull.js';

export const pushCommand: Command = {
  name: 'push',
  help: `Usage: tsbuild push [OPTIONS] IMAGE [TARGET]

Pushes the local image IMAGE to the registry its name points at, or to TARGET when given.
Blobs the registry already has are skipped; blobs it holds in another repository are mounted.

Options:
${REGISTRY_FLAGS_HELP}

Examples:
  tsbuild push localhost:5000/team/app:v1
  tsbuild push app:latest registry.example.com/team/app:1.2`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('push', argv, REGISTRY_FLAGS);
    if (positionals.length < 1 || positionals.length > 2) {
      throw new TsbuildError('USAGE', `push: expected IMAGE and an optional TARGET, got ${positionals.length} argument(s). See 'tsbuild push --help'.`, {
        kind: 'usage',
      });
    }
    const [source = '', target = source] = positionals;
    const targetRef = parseReference(target);
    const found = await findImage(source);
    const quiet = values.quiet === true;
    const client = await openRegistryClient({
      insecure: values['insecure-registry'] as string[] | undefined,
      onProgress: blobReporter(quiet),
    });
    const { compressedImage } = await import('@tsbuild/snapshot');
    const pushed = await client.push(await compressedImage(client.store, found.target), targetRef);
    if (quiet) out(pushed.descriptor.digest);
    else out(`Pushed ${pushed.reference.toString()} (${pushed.descriptor.digest})`);
    return 0;
  },
};
