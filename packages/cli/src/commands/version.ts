import type { Command } from '../command.js';
import { out } from '../output.js';
import { tsbuildVersion } from '../version.js';

export const versionCommand: Command = {
  name: 'version',
  help: `Usage: tsbuild version

Prints the version of tsbuild and of Node.js it runs on.

Example:
  tsbuild version`,
  async run() {
    out(`tsbuild ${tsbuildVersion()} (node ${process.version}, ${process.platform}/${process.arch})`);
    return 0;
  },
};
