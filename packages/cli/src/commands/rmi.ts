import { TsbuildError } from '@tsbuild/errors';
import { parseReference } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { findImage, openStores } from '../image-lookup.js';
import { out, reportError } from '../output.js';

export const rmiCommand: Command = {
  name: 'rmi',
  help: `Usage: tsbuild rmi [OPTIONS] IMAGE [IMAGE...]

Removes the name IMAGE from the local image store. Given an image ID (or digest), removes
every name of that image; if the names are in more than one repository, --force is needed.
Blobs stay in the content store.

Options:
  -f, --force   Remove an image ID's names even when they span repositories

Examples:
  tsbuild rmi app:old
  tsbuild rmi -f 3f2a9c1b8e7d`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('rmi', argv, { force: { type: 'boolean', short: 'f' } });
    if (positionals.length === 0) throw new TsbuildError('USAGE', `rmi: requires at least one IMAGE. See 'tsbuild rmi --help'.`, { kind: 'usage' });
    const stores = openStores();
    let exitCode = 0;
    // Like docker rmi: each image is tried, failures are reported and the rest still removed.
    for (const text of positionals) {
      try {
        await removeImage(text, values.force === true, stores);
      } catch (error) {
        exitCode = Math.max(exitCode, reportError(error, false));
      }
    }
    return exitCode;
  },
};

async function removeImage(text: string, force: boolean, stores: ReturnType<typeof openStores>): Promise<void> {
  const byName = await exactName(text, stores);
  if (byName) {
    await stores.images.untag(byName);
    out(`Untagged: ${byName.familiar}`);
    return;
  }
  const found = await findImage(text, stores);
  if (found.records.length === 0) throw new TsbuildError('IMAGE_NOT_FOUND', `no such image: ${text} (it has no names to remove)`);
  const repositories = new Set(found.records.map((r) => r.reference.name));
  if (repositories.size > 1 && !force) {
    throw new TsbuildError(
      'IMAGE_CONFLICT',
      `unable to delete ${text} (must be forced): image is referenced in ${repositories.size} repositories`,
    );
  }
  for (const record of found.records) {
    await stores.images.untag(record.reference);
    out(`Untagged: ${record.reference.familiar}`);
  }
}

/** The reference `text` names, if it parses and is a name in the store. */
async function exactName(text: string, stores: ReturnType<typeof openStores>) {
  let reference;
  try {
    reference = parseReference(text);
  } catch {
    return undefined;
  }
  return (await stores.images.get(reference))?.reference;
}
