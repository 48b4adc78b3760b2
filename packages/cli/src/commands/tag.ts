import { TsbuildError } from '@tsbuild/errors';
import { parseReference } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { findImage, openStores } from '../image-lookup.js';

export const tagCommand: Command = {
  name: 'tag',
  help: `Usage: tsbuild tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]

Points TARGET_IMAGE at the image SOURCE_IMAGE names (a name, or an image ID or digest).
A tag that already exists is moved. Names are normalised as Docker does: "app" means
docker.io/library/app:latest.

Examples:
  tsbuild tag app:latest localhost:5000/team/app:v1
  tsbuild tag 3f2a9c1b8e7d app:stable`,
  async run(argv) {
    const { positionals } = parseCommandArgs('tag', argv, {});
    if (positionals.length !== 2) {
      throw new TsbuildError('USAGE', `tag: expected SOURCE_IMAGE and TARGET_IMAGE, got ${positionals.length} argument(s). See 'tsbuild tag --help'.`, {
        kind: 'usage',
      });
    }
    const [source = '', target = ''] = positionals;
    const targetRef = parseReference(target);
    if (targetRef.digest !== undefined) {
      throw new TsbuildError('INVALID_REFERENCE', `refusing to create a tag with a digest reference: '${target}'`);
    }
    const stores = openStores();
    const found = await findImage(source, stores);
    await stores.images.tag(targetRef, found.target);
    return 0;
  },
};
