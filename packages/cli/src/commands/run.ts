import { runImage } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import { defaultRoot } from '@tsbuild/oci';
import { openRegistryClient } from '@tsbuild/registry';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { err, out } from '../output.js';
import { withInterrupts } from '../interrupts.js';
import { REGISTRY_FLAGS } from './pull.js';

export const runCommand: Command = {
  name: 'run',
  help: `Usage: tsbuild run [OPTIONS] IMAGE [COMMAND [ARG...]]

Runs the image's ENTRYPOINT and CMD (or COMMAND) with runc on an overlay of its layers; the
container's changes are dropped when it exits. The image is pulled when it is not here.
The exit code is the command's.

Options:
      --rm                  Accepted for docker compatibility (containers are always removed)
      --runtime runc|crun   OCI runtime (default runc)
      --registry-mirror URL, --insecure-registry HOST   As for 'tsbuild pull'

Examples:
  tsbuild run --rm 127.0.0.1:5000/hello
  tsbuild run busybox echo hi`,
  async run(argv) {
    const split = argv.findIndex((a, i) => !a.startsWith('-') && !isFlagValue(argv, i));
    const own = split < 0 ? argv : argv.slice(0, split + 1);
    const command = split < 0 ? [] : argv.slice(split + 1);
    const { values, positionals } = parseCommandArgs('run', own, {
      ...REGISTRY_FLAGS,
      rm: { type: 'boolean' },
      runtime: { type: 'string', default: 'runc' },
    });
    const ref = positionals[0];
    if (ref === undefined) throw new TsbuildError('USAGE', "run: an image is required. See 'tsbuild run --help'.", { kind: 'usage' });
    const runtime = values.runtime as string;
    if (runtime !== 'runc' && runtime !== 'crun') throw new TsbuildError('USAGE', `run: --runtime must be runc or crun, not "${runtime}"`, { kind: 'usage' });
    const root = defaultRoot();
    const registry = await openRegistryClient({
      root,
      mirrors: values['registry-mirror'] as string[] | undefined,
      insecure: values['insecure-registry'] as string[] | undefined,
    });
    return withInterrupts((signal) =>
      runImage({ root, registry, ref, args: command, runtime, signal, onOutput: (line, stream) => (stream === 'stdout' ? out(line) : err(line)) }),
    );
  },
};

const VALUE_FLAGS = new Set(['--runtime', '--registry-mirror', '--insecure-registry']);

function isFlagValue(argv: string[], index: number): boolean {
  const previous = argv[index - 1];
  return previous !== undefined && VALUE_FLAGS.has(previous);
}
