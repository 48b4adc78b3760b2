import { TsbuildError } from '@tsbuild/errors';
import { MediaTypes, parseReference } from '@tsbuild/oci';
import { openRegistryClient } from '@tsbuild/registry';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { parseCompression } from '../compression-option.js';
import { findImage } from '../image-lookup.js';
import { out } from '../output.js';
import { blobReporter, REGISTRY_FLAGS, REGISTRY_FLAGS_HELP } from './pull.js';

const PUSH_FLAGS = {
  ...REGISTRY_FLAGS,
  compression: { type: 'string' },
  'compression-level': { type: 'string' },
} as const;

export const pushCommand: Command = {
  name: 'push',
  help: `Usage: tsbuild push [OPTIONS] IMAGE [TARGET]

Pushes the local image IMAGE to the registry its name points at, or to TARGET when given.
Blobs the registry already has are skipped; blobs it holds in another repository are mounted.

Options:
  --compression gzip|zstd|uncompressed  How layers kept as plain tars here are sent (default gzip;
                              zstd needs an OCI-format image)
  --compression-level N       gzip 1-9 (default 4), zstd 1-19 (default 3)
${REGISTRY_FLAGS_HELP}

Examples:
  tsbuild push localhost:5000/team/app:v1
  tsbuild push app:latest registry.example.com/team/app:1.2`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('push', argv, PUSH_FLAGS);
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
    const format = found.target.mediaType === MediaTypes.dockerManifest ? 'docker' : 'oci';
    const compression = parseCompression(values.compression as string | undefined, values['compression-level'] as string | undefined, format, 'push');
    const { compressedImage } = await import('@tsbuild/snapshot');
    // Layers compressed now are uploaded as they are made; push() then finds them there.
    const sent = compression ? await compressedImage(client.store, found.target, compression, (chunks) => client.uploadStream(targetRef, chunks)) : found.target;
    const pushed = await client.push(sent, targetRef);
    if (quiet) out(pushed.descriptor.digest);
    else out(`Pushed ${pushed.reference.toString()} (${pushed.descriptor.digest})`);
    return 0;
  },
};
