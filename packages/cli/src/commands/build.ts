import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { build, type BuildEvent } from '@tsbuild/builder';
import { parseCacheRef } from '@tsbuild/cache';
import { TsbuildError, formatLocation } from '@tsbuild/errors';
import { parseExtraHost, type RuntimeName } from '@tsbuild/executor';
import { defaultRoot, formatPlatform, hostPlatform, parseReference } from '@tsbuild/oci';
import { openRegistryClient } from '@tsbuild/registry';

import { keyValues, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { readDockerfileInput } from '../dockerfile-input.js';
import { err, out } from '../output.js';
import { selectProgress } from '../progress/select.js';
import { humanSize } from '../format/size.js';
import { formatFindingsText } from '../format/lint-text.js';
import { blobReporter, REGISTRY_FLAGS, REGISTRY_FLAGS_HELP } from './pull.js';
import { exportImage, parseOutputs } from '../build-output.js';
import { outputsCompression } from '../compression-option.js';
import { withInterrupts } from '../interrupts.js';

const BUILD_FLAGS = {
  ...REGISTRY_FLAGS,
  tag: { type: 'string', short: 't', multiple: true },
  file: { type: 'string', short: 'f' },
  target: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  'no-cache': { type: 'boolean' },
  pull: { type: 'boolean' },
  push: { type: 'boolean' },
  output: { type: 'string', short: 'o', multiple: true },
  progress: { type: 'string', default: 'auto' },
  iidfile: { type: 'string' },
  secret: { type: 'string', multiple: true },
  ssh: { type: 'string', multiple: true },
  'add-host': { type: 'string', multiple: true },
  runtime: { type: 'string', default: 'runc' },
  format: { type: 'string', default: 'oci' },
  'source-date-epoch': { type: 'string' },
  label: { type: 'string', multiple: true },
  platform: { type: 'string' },
  network: { type: 'string' },
  'metadata-file': { type: 'string' },
  'cache-from': { type: 'string', multiple: true },
  'cache-to': { type: 'string' },
  'no-cache-filter': { type: 'string', multiple: true },
  'debug-cache': { type: 'boolean' },
  'lint-level': { type: 'string' },
} as const;

export const buildCommand: Command = {
  name: 'build',
  help: `Usage: tsbuild [build] [OPTIONS] CONTEXT

Builds the Dockerfile's target stage: each RUN in a throwaway runc container on overlayfs, each
step cached by its inputs. The image lands in the local store (see 'tsbuild images').

Options:
  -t, --tag NAME[:TAG]       Name the image (repeatable)
  -f, --file FILE            Dockerfile (default CONTEXT/Dockerfile; "-" reads stdin)
      --target STAGE         Build this stage instead of the last one
      --build-arg K[=V]      Set a build arg (value from the environment when "=V" is omitted)
      --no-cache             Run every step even when the cache has it
      --no-cache-filter STAGE  Run this stage's steps without the cache (repeatable, or a,b)
      --debug-cache          Print each step's cache key (plain progress)
      --lint[=error|warning] Lint the Dockerfile before and scan the image after the build; findings
                             this severe stop the image from being tagged or pushed
      --cache-to type=registry,ref=R[,mode=min|max] | type=local,dest=DIR
                             Export the step results (and layers) for other machines
      --cache-from type=registry,ref=R | type=local,src=DIR
                             Take step results from there (repeatable); layers fetched only for hits
      --pull                 Ask the registry for base images even when they are here
      --push                 Push every --tag to its registry after the build
  -o, --output SPEC          Also write the image: type=oci,dest=FILE | type=docker,dest=FILE |
                             type=oci-layout,dest=DIR | type=local,dest=DIR (its files) |
                             type=image[,push=true] (the default: the local store) | a FILE path;
                             add compression=gzip|zstd|uncompressed[,compression-level=N] for the
                             layers built here (default gzip level 4; zstd level 3, OCI format only)
      --progress MODE        auto | tty | plain | rawjson | quiet (auto: live view on a terminal,
                             plain lines in CI or when stderr is not a terminal)
  -q, --quiet                Print only the image digest
      --iidfile FILE         Write the image digest to FILE
      --metadata-file FILE   Write JSON with the digest and names, as buildx does
      --label K=V            Add a label to the image (repeatable)
      --platform P           The platform to build for; only this machine's is supported
      --network host|none    RUN's network unless RUN --network says (default host)
      --secret id=ID,src=PATH|env=VAR  A secret for RUN --mount=type=secret (never stored anywhere)
      --ssh ID[=SOCKET]      Forward an SSH agent to RUN --mount=type=ssh (default: $SSH_AUTH_SOCK)
      --add-host HOST:IP     Add a line to /etc/hosts of every RUN
      --runtime runc|crun    OCI runtime (default runc)
      --format oci|docker    Manifest and config media types (default oci)
      --source-date-epoch N  Clamp file times and dates to N (also read from SOURCE_DATE_EPOCH)
${REGISTRY_FLAGS_HELP}

Examples:
  tsbuild -t registry.local/hello --push .
  tsbuild build -f docker/Dockerfile.prod --target runtime --build-arg VERSION=1.2 .`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('build', withLintLevel(argv), BUILD_FLAGS);
    const lintLevel = values['lint-level'] as string | undefined;
    if (lintLevel !== undefined && lintLevel !== 'error' && lintLevel !== 'warning') {
      throw new TsbuildError('USAGE', `build: --lint takes error or warning, not "${lintLevel}"`, { kind: 'usage' });
    }
    if (positionals.length > 1) {
      throw new TsbuildError('USAGE', `build: expected one build context, got ${positionals.length}. See 'tsbuild build --help'.`, { kind: 'usage' });
    }
    const tags = ((values.tag as string[] | undefined) ?? []).map((t) => parseTag(t));
    const push = values.push === true || outputsPush(values.output as string[] | undefined);
    if (push && tags.length === 0) throw new TsbuildError('USAGE', 'build: --push needs at least one --tag', { kind: 'usage' });
    const runtime = values.runtime as string;
    if (runtime !== 'runc' && runtime !== 'crun') throw new TsbuildError('USAGE', `build: --runtime must be runc or crun, not "${runtime}"`, { kind: 'usage' });
    const format = values.format as string;
    if (format !== 'oci' && format !== 'docker') throw new TsbuildError('USAGE', `build: --format must be oci or docker, not "${format}"`, { kind: 'usage' });
    const outputs = parseOutputs(values.output as string[] | undefined);
    const compression = outputsCompression(values.output as string[] | undefined, format);
    checkPlatform(values.platform as string | undefined);
    const network = values.network as string | undefined;
    if (network !== undefined && !['host', 'none', 'default'].includes(network)) {
      throw new TsbuildError('USAGE', `build: --network must be host, none or default, not "${network}"`, { kind: 'usage' });
    }
    const quiet = values.quiet === true || values.progress === 'quiet';
    const input = readDockerfileInput(positionals[0], values.file as string | undefined);
    const epoch = sourceDateEpoch(values['source-date-epoch'] as string | undefined);
    const root = defaultRoot();
    const report = blobReporter(quiet);
    const pushTally = new BlobTally();
    const client = await openRegistryClient({
      root,
      mirrors: values['registry-mirror'] as string[] | undefined,
      insecure: values['insecure-registry'] as string[] | undefined,
      onProgress: (event) => {
        report?.(event);
        if (event.kind === 'blob-done') pushTally.add(event.outcome, event.size);
      },
    });
    // The linter (and secretlint) is loaded only when asked for: it costs 150 ms of start-up.
    const lint = lintLevel ? await import('@tsbuild/lint') : undefined;
    const lintFindings = lint ? await lint.lintDockerfile({ text: input.text, file: input.file, contextDir: input.context }) : [];
    const progress = selectProgress(values.progress as string, quiet, { debugCache: values['debug-cache'] === true });

    const result = await withInterrupts((signal) =>
      build({
        root,
        contextDir: input.context,
        dockerfile: input.text,
        dockerfilePath: resolve(values.file === undefined || values.file === '-' ? `${input.context}/Dockerfile` : (values.file as string)),
        file: input.file,
        ...(values.target === undefined ? {} : { target: values.target as string }),
        buildArgs: keyValues(values['build-arg'] as string[] | undefined, '--build-arg'),
        registry: client,
        // Compress only what leaves the machine; a local image keeps plain-tar layers ('tsbuild push' compresses them).
        compression: push || outputs.some((o) => o.type !== 'local') ? compression : false,
        // Layers go up while they are compressed, unless --lint may yet find a secret in them.
        ...(push && !lint && tags[0] ? { streamLayersTo: (chunks: AsyncIterable<Buffer>) => client.uploadStream(tags[0]!, chunks) } : {}),
        pull: values.pull === true,
        noCache: values['no-cache'] === true,
        runtime: runtime as RuntimeName,
        extraHosts: ((values['add-host'] as string[] | undefined) ?? []).map(parseExtraHost),
        secrets: parseSecrets(values.secret as string[] | undefined),
        sshSockets: parseSsh(values.ssh as string[] | undefined),
        ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }),
        format,
        labels: keyValues(values.label as string[] | undefined, '--label'),
        cacheFrom: ((values['cache-from'] as string[] | undefined) ?? []).map((spec) => parseCacheRef(spec, 'from')),
        ...(values['cache-to'] ? { cacheTo: parseCacheRef(values['cache-to'] as string, 'to') } : {}),
        noCacheStages: ((values['no-cache-filter'] as string[] | undefined) ?? []).flatMap((v) => v.split(',')),
        ...(network === 'none' ? { network: 'none' as const } : {}),
        signal,
        onEvent: (e: BuildEvent) => progress.onEvent(e),
      }).finally(() => progress.stop()),
    );
    for (const w of result.plan.warnings) err(`warning: ${w.location ? `${formatLocation(w.location)}: ` : ''}${w.message}`);
    if (lint) {
      const scan = await lint.scanImage(client.store, result.image.descriptor);
      lintFindings.push(...scan.findings);
      for (const line of formatFindingsText(lintFindings)) err(`lint: ${line}`);
      const failing = lintFindings.filter((f) => f.severity === 'error' || (lintLevel === 'warning' && f.severity === 'warning'));
      if (failing.length > 0) {
        throw new TsbuildError('LINT_FAILED', `lint found ${failing.length} finding(s) at --lint=${lintLevel} or worse; the image was built (${result.image.descriptor.digest}) but is not tagged or pushed`);
      }
    }
    const digest = result.image.descriptor.digest;
    const layers = result.image.manifest.layers;
    const size = layers.reduce((sum, l) => sum + l.size, result.image.manifest.config.size);
    if (!quiet) err(`writing image ${digest} done: ${layers.length} layers, ${humanSize(size)}; ${result.executedSteps} steps run, ${result.cachedSteps} cached`);
    for (const tag of tags) {
      await client.images.tag(tag, result.image.descriptor);
      if (!quiet) err(`naming to ${tag.toString()} done`);
    }
    for (const output of outputs) {
      await exportImage(client.store, result.image.descriptor, tags, output);
      if (!quiet) err(`exported ${output.type} to ${output.dest}`);
    }
    if (push) {
      for (const tag of tags) {
        pushTally.reset();
        // No interrupt handler here: a push holds no mount or container, so Ctrl-C or SIGTERM may
        // end it at once; the registry drops the unfinished upload and the local store is untouched.
        const pushed = await client.push(result.image.descriptor, tag);
        if (!quiet) err(`pushed ${pushed.reference.toString()}@${pushed.descriptor.digest}: ${pushTally.summary()}`);
      }
    }
    if (values.iidfile) writeFileSync(values.iidfile as string, digest);
    if (values['metadata-file']) {
      const metadata = {
        'containerimage.digest': digest,
        'containerimage.descriptor': result.image.descriptor,
        'containerimage.config.digest': result.image.config.digest,
        ...(tags.length ? { 'image.name': tags.map((t) => t.toString()).join(',') } : {}),
      };
      writeFileSync(values['metadata-file'] as string, JSON.stringify(metadata, null, 2) + '\n');
    }
    out(quiet ? digest : `${digest}${tags.length ? ` ${tags.map((t) => t.toString()).join(' ')}` : ''}`);
    return 0;
  },
};

/** `-o type=image,push=true` is `--push`, as in buildx. */
function outputsPush(specs: string[] | undefined): boolean {
  return (specs ?? []).some((spec) => /(^|,)type=image(,|$)/.test(spec) && /(^|,)push=true(,|$)/.test(spec));
}

/** `--lint` and `--lint=LEVEL` (a flag with an optional value, which node's parseArgs lacks). */
function withLintLevel(argv: string[]): string[] {
  return argv.map((arg) => (arg === '--lint' ? '--lint-level=error' : arg.startsWith('--lint=') ? `--lint-level=${arg.slice('--lint='.length)}` : arg));
}

/** What a push moved: bytes uploaded, blobs mounted from another repository, blobs already there. */
class BlobTally {
  private counts = new Map<string, { blobs: number; bytes: number }>();

  add(outcome: string, bytes: number): void {
    const entry = this.counts.get(outcome) ?? { blobs: 0, bytes: 0 };
    entry.blobs++;
    entry.bytes += bytes;
    this.counts.set(outcome, entry);
  }

  reset(): void {
    this.counts = new Map();
  }

  summary(): string {
    const part = (outcome: string, words: string) => {
      const entry = this.counts.get(outcome);
      return entry ? `${entry.blobs} ${words} (${humanSize(entry.bytes)})` : '';
    };
    return [part('uploaded', 'uploaded'), part('mounted', 'mounted'), part('exists', 'already there')].filter(Boolean).join(', ') || 'nothing to send';
  }
}

function checkPlatform(platform: string | undefined): void {
  if (platform === undefined) return;
  const host = formatPlatform(hostPlatform());
  const wanted = platform.split(',').map((p) => p.trim());
  if (wanted.length !== 1 || (wanted[0] !== host && wanted[0] !== host.replace(/^linux\//, ''))) {
    throw new TsbuildError('USAGE', `build: --platform ${platform} is not supported; tsbuild builds for this machine's platform (${host}) only`, { kind: 'usage' });
  }
}

function parseTag(tag: string) {
  try {
    return parseReference(tag);
  } catch (error) {
    throw new TsbuildError('USAGE', `build: invalid tag "${tag}": ${(error as Error).message}`, { kind: 'usage' });
  }
}

/**
 * `--secret id=ID,src=PATH` or `id=ID,env=VAR` (the value of VAR). A value from the environment is
 * put in a file on /dev/shm (memory, never the disk or $TSBUILD_ROOT), removed when tsbuild exits.
 */
function parseSecrets(specs: string[] | undefined): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const fields = Object.fromEntries(spec.split(',').map((kv) => {
      const eq = kv.indexOf('=');
      return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
    }));
    const id = fields.id;
    const src = fields.src ?? fields.source;
    const env = fields.env;
    if (!id || (!src && !env)) throw new TsbuildError('USAGE', `build: --secret needs id=ID,src=PATH or id=ID,env=VAR, got "${spec}"`, { kind: 'usage' });
    if (src) {
      secrets[id] = resolve(src);
      continue;
    }
    const value = process.env[env!];
    if (value === undefined) throw new TsbuildError('USAGE', `build: --secret ${id}: environment variable ${env} is not set`, { kind: 'usage' });
    secrets[id] = secretFile(id, value);
  }
  return secrets;
}

/** `--ssh default` (the agent of $SSH_AUTH_SOCK) or `--ssh ID=SOCKET`. */
function parseSsh(specs: string[] | undefined): Record<string, string> {
  const sockets: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const eq = spec.indexOf('=');
    const id = eq < 0 ? spec : spec.slice(0, eq);
    const socket = eq < 0 ? process.env.SSH_AUTH_SOCK : spec.slice(eq + 1);
    if (!id || !socket) throw new TsbuildError('USAGE', `build: --ssh ${spec}: give ID=SOCKET, or set SSH_AUTH_SOCK for --ssh ${id || 'default'}`, { kind: 'usage' });
    sockets[id] = resolve(socket);
  }
  return sockets;
}

function secretFile(id: string, value: string): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'tsbuild-secret-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, id.replace(/[^A-Za-z0-9_.-]/g, '_'));
  writeFileSync(file, value, { mode: 0o600 });
  return file;
}

function sourceDateEpoch(flag: string | undefined): number | undefined {
  const value = flag ?? process.env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new TsbuildError('USAGE', `build: SOURCE_DATE_EPOCH must be whole seconds, not "${value}"`, { kind: 'usage' });
  return Number(value);
}

