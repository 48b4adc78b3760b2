import { appendFileSync, existsSync, statSync } from 'node:fs';

import { TsbuildError } from '@tsbuild/errors';
import { importOciArchive, importOciLayout, loadImage, type Descriptor } from '@tsbuild/oci';
import type { BaseImageConfig, Platform } from '@tsbuild/frontend';
import type { Finding } from '@tsbuild/lint';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { readDockerfileInput } from '../dockerfile-input.js';
import { findImage, openStores } from '../image-lookup.js';
import { out } from '../output.js';
import { formatFindingsGrouped } from '../format/lint-text.js';
import { tsbuildVersion } from '../version.js';

const FORMATS = ['text', 'json', 'sarif', 'github'];
const FAIL_ON = ['error', 'warning', 'none'];

export const lintCommand: Command = {
  name: 'lint',
  summary: 'Check a Dockerfile, or scan an image for leaked secrets and wasted space',
  help: `Usage: tsbuild lint [OPTIONS] [CONTEXT]
       tsbuild lint --image REF|ARCHIVE|LAYOUT [OPTIONS]

Dockerfile checks: BuildKit's build checks (StageNameCasing, JSONArgsRecommended, UndefinedArgInFrom,
SecretsUsedInArgOrEnv, …), secrets in ARG/ENV values and RUN commands (known token formats),
COPY of secret files the context really holds (after .dockerignore), and common practice rules.
Image scan: every file of every layer (also files a later step deleted) for secrets, bytes added
then deleted or overwritten, and secrets in the config and in the history's build args.

Suppress a finding with '# tsbuild-lint ignore=RULE' on the line above, or '# check=skip=RULE'.

Options:
  -f, --file FILE              Dockerfile (default CONTEXT/Dockerfile)
      --image REF|PATH         Scan an image: a local name, an OCI archive or an OCI layout dir
      --format text|json|sarif|github   Output (default text)
      --fail-on error|warning|none      Exit 1 when a finding is this severe (default error)
      --config FILE            Rules to ignore and severities: {"ignore": [RULE…], "severity": {RULE: "error"|"warning"|"info"}}
                               (default CONTEXT/.tsbuild-lint.json when it exists)
      --max-wasted-bytes N     Image scan: exit 1 when more bytes than this are wasted
      --min-efficiency F       Image scan: exit 1 below this efficiency (0..1)

Examples:
  tsbuild lint .
  tsbuild lint --format sarif . > lint.sarif
  tsbuild lint --image registry.local/app:1.2 --max-wasted-bytes 10000000`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('lint', argv, {
      file: { type: 'string', short: 'f' },
      image: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string', default: 'error' },
      'max-wasted-bytes': { type: 'string' },
      'min-efficiency': { type: 'string' },
      config: { type: 'string' },
    });
    const format = values.format as string;
    const failOn = values['fail-on'] as string;
    if (!FORMATS.includes(format)) throw new TsbuildError('USAGE', `lint: --format must be one of ${FORMATS.join(', ')}, not "${format}"`, { kind: 'usage' });
    if (!FAIL_ON.includes(failOn)) throw new TsbuildError('USAGE', `lint: --fail-on must be error, warning or none, not "${failOn}"`, { kind: 'usage' });

    // Loaded here, not at start-up: secretlint costs 150 ms that other commands should not pay.
    const { lintDockerfile, scanImage, readLintConfig, applyLintConfig } = await import('@tsbuild/lint');
    const config = values.config === undefined ? undefined : readLintConfig(values.config as string);
    let findings: Finding[];
    let gate = false;
    let dockerfileText: string | undefined;
    if (values.image !== undefined) {
      const scan = await scanImage(openStores().content, await imageTarget(values.image as string));
      findings = applyLintConfig(scan.findings, config);
      const maxWasted = numberOption(values['max-wasted-bytes'] as string | undefined, '--max-wasted-bytes', Infinity);
      const minEfficiency = numberOption(values['min-efficiency'] as string | undefined, '--min-efficiency', 0);
      gate = scan.wastedBytes > maxWasted || scan.efficiency < minEfficiency;
      if (format === 'text') out(`image: ${scan.layers} layers, ${scan.totalBytes} bytes of files, ${scan.wastedBytes} wasted, efficiency ${(scan.efficiency * 100).toFixed(1)}%`);
    } else {
      const input = readDockerfileInput(positionals[0] ?? '.', values.file as string | undefined);
      findings = await lintDockerfile({
        text: input.text,
        file: input.file,
        contextDir: input.context,
        resolveBaseImage: localBaseImage,
        ...(config ? { config } : {}),
        ...(values.file ? { dockerfilePath: values.file as string } : {}),
      });
      dockerfileText = input.text;
    }
    await print(findings, format, dockerfileText);
    const failing = findings.some((f) => (failOn === 'error' ? f.severity === 'error' : failOn === 'warning' ? f.severity !== 'info' : false));
    return failing || gate ? 1 : 0;
  },
};

async function print(findings: Finding[], format: string, dockerfileText: string | undefined): Promise<void> {
  const { toGithubCommands, toMarkdownSummary, toSarif } = await import('@tsbuild/lint');
  if (format === 'json') out(JSON.stringify(findings, null, 2));
  else if (format === 'sarif') out(JSON.stringify(toSarif(findings, tsbuildVersion()), null, 2));
  else if (format === 'github') {
    for (const line of toGithubCommands(findings)) out(line);
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (summary) appendFileSync(summary, toMarkdownSummary(findings));
  } else for (const line of formatFindingsGrouped(findings, dockerfileText)) out(line);
}

/** A local image name, or an OCI archive / layout on disk (imported into the local store first). */
async function imageTarget(text: string): Promise<Descriptor> {
  const stores = openStores();
  if (existsSync(text)) {
    const imported = statSync(text).isDirectory() ? await importOciLayout(stores.content, text) : await importOciArchive(stores.content, text);
    const first = imported[0];
    if (!first) throw new TsbuildError('IMAGE_NOT_FOUND', `${text} holds no image`);
    return first.descriptor;
  }
  return (await findImage(text, stores)).target;
}

function numberOption(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new TsbuildError('USAGE', `lint: ${flag} takes a number, not "${text}"`, { kind: 'usage' });
  return value;
}

/** A base image's ENV, SHELL and platform when the image is in the local store (UndefinedVar needs them); never a pull. */
async function localBaseImage(ref: string, platform: Platform): Promise<(BaseImageConfig & { platform?: Platform }) | undefined> {
  try {
    const stores = openStores();
    const image = (await loadImage(stores.content, (await findImage(ref, stores)).target, platform)).config;
    const config = image.config ?? {};
    return {
      ...(config.Env ? { env: config.Env } : {}),
      ...(config.Shell ? { shell: config.Shell } : {}),
      ...(image.os && image.architecture ? { platform: { os: image.os, architecture: image.architecture, ...(image.variant ? { variant: image.variant } : {}) } } : {}),
    };
  } catch {
    return undefined;
  }
}
