import { TsbuildError } from '@tsbuild/errors';
import { loadImage, parsePlatform } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { findImage, openStores } from '../image-lookup.js';
import { out } from '../output.js';

export const inspectCommand: Command = {
  name: 'inspect',
  help: `Usage: tsbuild inspect [OPTIONS] IMAGE

Prints, as JSON, the image's names, its descriptor, the index it was picked from (for
multi-platform images), its manifest and its config, all read and verified from the content store.

Options:
      --platform OS/ARCH[/VARIANT]  Which image of a multi-platform index (default: linux/host arch)
      --format all|manifest|config  Print everything (default), or only the manifest or config

Examples:
  tsbuild inspect busybox
  tsbuild inspect --format config app:latest
  tsbuild inspect --platform linux/arm64 localhost:5000/multi:latest`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('inspect', argv, {
      platform: { type: 'string' },
      format: { type: 'string', default: 'all' },
    });
    const format = values.format as string;
    if (!['all', 'manifest', 'config'].includes(format)) {
      throw new TsbuildError('USAGE', `inspect: --format must be all, manifest or config, not "${format}"`, { kind: 'usage' });
    }
    if (positionals.length !== 1) {
      throw new TsbuildError('USAGE', `inspect: expected one IMAGE, got ${positionals.length}. See 'tsbuild inspect --help'.`, { kind: 'usage' });
    }
    const stores = openStores();
    const found = await findImage(positionals[0] ?? '', stores);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform as string);
    const image = await loadImage(stores.content, found.target, platform);
    if (format === 'manifest') out(JSON.stringify(image.manifest, null, 2));
    else if (format === 'config') out(JSON.stringify(image.config, null, 2));
    else {
      const names = found.records.map((r) => r.reference.toString());
      out(JSON.stringify({ names, descriptor: image.descriptor, index: image.index, manifest: image.manifest, config: image.config }, null, 2));
    }
    return 0;
  },
};
