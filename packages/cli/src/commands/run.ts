import { existsSync, mkdirSync } from 'node:fs';

import { runImage } from '@tsbuild/builder';
import { TsbuildError } from '@tsbuild/errors';
import type { BindMount } from '@tsbuild/executor';
import { defaultRoot } from '@tsbuild/oci';
import { openRegistryClient } from '@tsbuild/registry';

import { keyValues, parseCommandArgs } from '../args.js';
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
  -e, --env KEY=VALUE       Set a variable (KEY alone: its value here, if set); repeatable
  -v, --volume HOST:PATH[:ro]  Bind a host directory or file (absolute; a missing directory is
                            created, as docker does); repeatable
  -w, --workdir PATH        Working directory instead of the image's WORKDIR
  -u, --user USER[:GROUP]   User instead of the image's USER
      --entrypoint CMD      Replace the ENTRYPOINT (and drop the image's CMD); "" clears it
      --network host|none   The host's network (default) or none (only lo)
      --rm                  Accepted for docker compatibility (containers are always removed)
      --runtime runc|crun   OCI runtime (default runc)
      --registry-mirror URL, --insecure-registry HOST   As for 'tsbuild pull'

Examples:
  tsbuild run --rm 127.0.0.1:5000/hello
  tsbuild run busybox echo hi
  tsbuild run -e GREETING=hi -v "$PWD:/src:ro" -w /src busybox sh -c 'echo $GREETING; ls'`,
  async run(argv) {
    const split = argv.findIndex((a, i) => !a.startsWith('-') && !isFlagValue(argv, i));
    const own = split < 0 ? argv : argv.slice(0, split + 1);
    const command = split < 0 ? [] : argv.slice(split + 1);
    const { values, positionals } = parseCommandArgs('run', own, {
      ...REGISTRY_FLAGS,
      rm: { type: 'boolean' },
      runtime: { type: 'string', default: 'runc' },
      env: { type: 'string', short: 'e', multiple: true },
      volume: { type: 'string', short: 'v', multiple: true },
      workdir: { type: 'string', short: 'w' },
      user: { type: 'string', short: 'u' },
      entrypoint: { type: 'string' },
      network: { type: 'string' },
    });
    const ref = positionals[0];
    if (ref === undefined) throw new TsbuildError('USAGE', "run: an image is required. See 'tsbuild run --help'.", { kind: 'usage' });
    const runtime = values.runtime as string;
    if (runtime !== 'runc' && runtime !== 'crun') throw new TsbuildError('USAGE', `run: --runtime must be runc or crun, not "${runtime}"`, { kind: 'usage' });
    const network = values.network as string | undefined;
    if (network !== undefined && network !== 'host' && network !== 'none') throw new TsbuildError('USAGE', `run: --network must be host or none, not "${network}"`, { kind: 'usage' });
    const workdir = values.workdir as string | undefined;
    if (workdir !== undefined && !workdir.startsWith('/')) throw new TsbuildError('USAGE', `run: --workdir must be an absolute path, not "${workdir}"`, { kind: 'usage' });
    const entrypoint = values.entrypoint as string | undefined;
    const volumes = ((values.volume as string[] | undefined) ?? []).map(parseVolume);
    const root = defaultRoot();
    const registry = await openRegistryClient({
      root,
      mirrors: values['registry-mirror'] as string[] | undefined,
      insecure: values['insecure-registry'] as string[] | undefined,
    });
    return withInterrupts((signal) =>
      runImage({
        root,
        registry,
        ref,
        args: command,
        env: envEntries(values.env as string[] | undefined),
        ...(entrypoint === undefined ? {} : { entrypoint: entrypoint === '' ? [] : [entrypoint] }),
        ...(workdir === undefined ? {} : { workdir }),
        ...(values.user === undefined ? {} : { user: values.user as string }),
        volumes,
        ...(network === undefined ? {} : { network }),
        runtime,
        signal,
        onOutput: (line, stream) => (stream === 'stdout' ? out(line) : err(line)),
      }),
    );
  },
};

const VALUE_FLAGS = new Set(['--runtime', '--registry-mirror', '--insecure-registry', '-e', '--env', '-v', '--volume', '-w', '--workdir', '-u', '--user', '--entrypoint', '--network']);

/** `-e` as docker takes it: `KEY=VALUE`, or `KEY` alone for its value here (left out when unset). */
function envEntries(items: string[] | undefined): string[] {
  return Object.entries(keyValues(items, 'run: --env')).map(([key, value]) => `${key}=${value}`);
}

/** `-v HOST:PATH[:ro|rw]`: both absolute (named volumes are not supported); a missing host directory is made. */
function parseVolume(spec: string): BindMount {
  const parts = spec.split(':');
  const [source, target, mode] = parts;
  const usage = (why: string) => new TsbuildError('USAGE', `run: --volume "${spec}": ${why}`, { kind: 'usage' });
  if (parts.length < 2 || parts.length > 3 || !source || !target) throw usage('expected HOST:PATH or HOST:PATH:ro');
  if (!source.startsWith('/')) throw usage('the host path must be absolute (named volumes are not supported)');
  if (!target.startsWith('/')) throw usage('the container path must be absolute');
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw usage(`unknown mode "${mode}" (ro or rw)`);
  if (!existsSync(source)) mkdirSync(source, { recursive: true });
  return { type: 'bind', source, target, readonly: mode === 'ro' };
}

function isFlagValue(argv: string[], index: number): boolean {
  const previous = argv[index - 1];
  return previous !== undefined && VALUE_FLAGS.has(previous);
}
