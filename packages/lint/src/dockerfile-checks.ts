import { parseDockerfile, type RawInstruction } from '@tsbuild/frontend';

import type { Finding } from './finding.js';
import { isBuildkitCheck, ruleInfo } from './rules.js';
import { findSecrets, looksLikeSecretName, namesPublicKeyMaterial } from './secrets.js';
import { secretFilesCopied } from './secret-files.js';
import { suppressed } from './suppress.js';
import { goQuote } from './buildkit-names.js';
import { checkFromLines } from './from-checks.js';
import { checkStageBodies, type BaseImageLookup } from './stage-checks.js';
import { shellcheckRuns } from './shellcheck.js';
import { ignoredSources } from './copy-ignored.js';
import { secretMountCopies } from './secret-mounts.js';
import { applyLintConfig, findLintConfig, type LintConfig } from './config.js';

export interface DockerfileInput {
  text: string;
  /** The path shown in findings. */
  file: string;
  /** The build context: COPY/ADD of secret files is judged by what it really holds. */
  contextDir?: string;
  /** The Dockerfile's host path (for `<Dockerfile>.dockerignore`). */
  dockerfilePath?: string;
  /** A base image's config when known locally (UndefinedVar needs its ENV names; without it, stages FROM an image are not checked for UndefinedVar). */
  resolveBaseImage?: BaseImageLookup;
  /** Check RUN scripts with `shellcheck` when it is installed (default true). */
  shellcheck?: boolean;
  /** Rules switched off and severities changed; default: the context's .tsbuild-lint.json, if any. */
  config?: LintConfig;
}

interface Stage {
  from: RawInstruction;
  /** Lower-cased, as BuildKit keeps it. */
  name?: string;
  writtenName?: string;
  body: RawInstruction[];
}

type Report = (rule: string, raw: Pick<RawInstruction, 'range'>, message: string) => void;

/** The Dockerfile checks: BuildKit's build checks, secret leaks, and hadolint-style practice rules. */
export async function lintDockerfile(input: DockerfileInput): Promise<Finding[]> {
  const parsed = parseDockerfile(input.text, input.file);
  const findings: Finding[] = [];
  const report: Report = (rule, raw, message) => {
    const info = ruleInfo(rule);
    findings.push({ rule, category: info.category, severity: info.severity, message, file: input.file, line: raw.range.start });
  };
  for (const warning of parsed.warnings) {
    if (warning.code === 'NoEmptyContinuation' && warning.location) report('NoEmptyContinuation', { range: { start: warning.location.line, end: warning.location.line } }, 'Empty continuation line');
  }
  const { globalArgs, stages } = splitStages(parsed.instructions);
  checkCasing(parsed.instructions, report);
  checkStages(stages, report);
  checkFromLines(globalArgs, stages.map((s) => s.from), parsed.directives.escape, report);
  await checkStageBodies(stages, parsed.directives.escape, input.resolveBaseImage, report);
  for (const stage of stages) checkStageBody(stage, report);
  await checkSecrets(parsed.instructions, report);
  checkFinalUser(stages.at(-1), report);
  if (input.contextDir) {
    for (const { instruction, source } of ignoredSources(parsed.instructions, input.contextDir, input.dockerfilePath)) {
      const verb = instruction.keyword === 'ADD' ? 'Add' : 'Copy';
      report('CopyIgnoredFile', instruction, `Attempting to ${verb} file ${goQuote(source)} that is excluded by .dockerignore`);
    }
    for (const found of secretFilesCopied(parsed.instructions, input.contextDir, input.dockerfilePath)) {
      report('SecretFileCopied', found.instruction, `${found.instruction.keyword} copies the secret file "${found.path}" (${found.kind}) into the image`);
    }
  }
  const kept = findings.filter((f) => !suppressed(f, input.text, parsed.directives.check));
  if (input.shellcheck !== false) {
    for (const { finding, instructionLine } of await shellcheckRuns(parsed.instructions, input.file, parsed.directives.escape)) {
      // A comment above the RUN (or above the script line itself) switches a shellcheck finding off.
      const quiet = suppressed(finding, input.text, parsed.directives.check) || suppressed({ ...finding, line: instructionLine }, input.text, parsed.directives.check);
      if (!quiet) kept.push(finding);
    }
  }
  const config = input.config ?? (input.contextDir ? findLintConfig(input.contextDir) : undefined);
  // `# check=error=true` makes BuildKit fail the build on its checks' warnings: they are errors here.
  if (/(?:^|;)\s*error=true\s*(?:;|$)/.test(parsed.directives.check ?? '')) {
    for (const f of kept) if (isBuildkitCheck(f.rule)) f.severity = 'error';
  }
  // In Dockerfile order (stable: rules of one line keep the order they ran in).
  return applyLintConfig(kept, config).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function splitStages(instructions: RawInstruction[]): { globalArgs: RawInstruction[]; stages: Stage[] } {
  const globalArgs: RawInstruction[] = [];
  const stages: Stage[] = [];
  for (const raw of instructions) {
    if (raw.keyword === 'FROM') stages.push({ from: raw, ...(raw.args[2] ? { name: raw.args[2].toLowerCase(), writtenName: raw.args[2] } : {}), body: [] });
    else if (stages.length > 0) stages.at(-1)!.body.push(raw);
    else if (raw.keyword === 'ARG') globalArgs.push(raw);
  }
  return { globalArgs, stages };
}

function checkCasing(instructions: RawInstruction[], report: Report): void {
  // BuildKit counts the stages' keywords: not the global ARGs before the first FROM, nor an ONBUILD's trigger.
  const firstFrom = instructions.findIndex((r) => r.keyword === 'FROM');
  const all = firstFrom < 0 ? [] : instructions.slice(firstFrom);
  const upper = all.filter((r) => r.writtenKeyword === r.writtenKeyword.toUpperCase()).length;
  const lower = all.filter((r) => r.writtenKeyword === r.writtenKeyword.toLowerCase()).length;
  const majority = upper >= lower ? 'uppercase' : 'lowercase';
  for (const raw of all) {
    const matches = majority === 'uppercase' ? raw.writtenKeyword === raw.writtenKeyword.toUpperCase() : raw.writtenKeyword === raw.writtenKeyword.toLowerCase();
    if (!matches) report('ConsistentInstructionCasing', raw, `Command '${raw.writtenKeyword}' should match the case of the command majority (${majority})`);
  }
}

const RESERVED_STAGE_NAMES = new Set(['scratch', 'context']);

function checkStages(stages: Stage[], report: Report): void {
  const seen = new Set<string>();
  const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  for (const { from, name, writtenName } of stages) {
    const [image = '', as] = from.args;
    const written = from.writtenKeyword;
    const fromLower = written === written.toLowerCase();
    // A FROM of mixed case is ConsistentInstructionCasing's business, not this rule's.
    if (as !== undefined && (fromLower || written === written.toUpperCase()) && as !== (fromLower ? as.toLowerCase() : as.toUpperCase())) {
      report('FromAsCasing', from, `'${as}' and '${written}' keywords' casing do not match`);
    }
    if (name !== undefined && writtenName !== undefined) {
      if (writtenName !== name) report('StageNameCasing', from, `Stage name '${writtenName}' should be lowercase`);
      if (RESERVED_STAGE_NAMES.has(name)) report('ReservedStageName', from, `Stage name should not use the same name as reserved stage ${goQuote(name)}`);
      if (seen.has(name)) report('DuplicateStageName', from, `Duplicate stage name ${goQuote(name)}, stage names should be unique`);
      seen.add(name);
    }
    const isStage = names.has(image.toLowerCase());
    if (!isStage && image.toLowerCase() !== 'scratch' && !image.includes('$') && !image.includes('@')) {
      const lastPart = image.split('/').pop() ?? image;
      if (!lastPart.includes(':')) report('UntaggedBaseImage', from, `Base image '${image}' has no tag: pin a version`);
      else if (lastPart.endsWith(':latest')) report('UntaggedBaseImage', from, `Base image '${image}' uses the moving tag 'latest': pin a version`);
    }
  }
}

function checkStageBody(stage: Stage, report: Report): void {
  for (const raw of stage.body) {
    switch (raw.keyword) {
      case 'MAINTAINER':
        report('MaintainerDeprecated', raw, 'Maintainer instruction is deprecated in favor of using label');
        break;
      case 'ENV':
      case 'LABEL':
        if (raw.args[2] === '') report('LegacyKeyValueFormat', raw, `"${raw.writtenKeyword} key=value" should be used instead of legacy "${raw.writtenKeyword} key value" format`);
        break;
      case 'EXPOSE':
        for (const port of raw.args) {
          if (port.includes(':')) report('ExposeInvalidFormat', raw, `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`);
          const proto = port.split('/')[1];
          if (proto && proto !== proto.toLowerCase()) report('ExposeProtoCasing', raw, `Defined protocol '${port}' in EXPOSE instruction should be lowercase`);
        }
        break;
      case 'RUN':
        checkRun(raw, report);
        break;
      case 'ADD':
        for (const source of raw.args.slice(0, -1)) {
          if (!/^[a-z]+:\/\//i.test(source) && !/\.(tar|tgz|tbz2?|txz|gz|bz2|xz|zst)$/i.test(source)) {
            report('AddInsteadOfCopy', raw, `ADD of '${source}', which is not an archive or a URL: use COPY`);
          }
        }
        break;
      default:
        break;
    }
  }
}

function checkRun(raw: RawInstruction, report: Report): void {
  const script = [raw.args.join(' '), ...raw.heredocs.map((h) => h.content)].join('\n');
  const commands = script.split(/&&|\|\||;|\||\n/).map((c) => c.trim().split(/\s+/).filter(Boolean));
  const cached = (dir: RegExp) => raw.flags.some((f) => f.startsWith('--mount=') && /type=cache/.test(f) && dir.test(f));
  if (/apt-get\s+(-\S+\s+)*install/.test(script)) {
    const listsCached = cached(/target=\/var\/lib\/apt/);
    if (!listsCached && !/rm\s+-[a-z]*r[a-z]*f?\s+\/var\/lib\/apt\/lists/.test(script)) report('AptNoCleanup', raw, 'apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN');
    if (!script.includes('--no-install-recommends')) report('AptNoInstallRecommends', raw, 'apt-get install without --no-install-recommends');
  }
  if (/apk\s+(-\S+\s+)*add\b/.test(script) && !script.includes('--no-cache') && !cached(/target=\/var\/cache\/apk/) && !/rm\s+-[a-z]*\s+\/var\/cache\/apk/.test(script)) {
    report('ApkNoCache', raw, 'apk add without --no-cache');
  }
  if (/(^|&&|;|\n)\s*cd\s+\S/.test(script)) report('CdInsteadOfWorkdir', raw, 'RUN cd …: use WORKDIR to change the directory of later instructions');
  if (/\b(curl|wget)\b[^|\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(script)) {
    const failsOnError = /\bcurl\b[^|\n]*\s(-[a-zA-Z]*f[a-zA-Z]*|--fail)\b/.test(script) || /pipefail/.test(script);
    if (!failsOnError) report('CurlPipeShell', raw, 'a download piped into a shell without curl -f or set -o pipefail');
  }
  if (commands.some((words) => words[0] === 'sudo')) report('SudoInRun', raw, 'sudo in RUN: the build already runs as the USER you set; use USER root around the step instead');
  if (commands.some((words) => words[0] === 'apt' && words.includes('install'))) report('AptInsteadOfAptGet', raw, "apt in a script: its CLI is not stable; use apt-get");
  checkPackageInstalls(raw, commands, script, cached, report);
}

/** pip/npm caches left in the layer, and packages installed without a version (hadolint DL3008/3013/3018/3042). */
function checkPackageInstalls(raw: RawInstruction, commands: string[][], script: string, cached: (dir: RegExp) => boolean, report: Report): void {
  const unpinned = (manager: string, words: string[], pinned: (word: string) => boolean) => {
    const names = words.filter((w, i) => !w.startsWith('-') && !w.includes('$') && !/^-[rcto]$|^-X$|^--(requirement|constraint|target|prefix|index-url|extra-index-url|virtual|option|repository)$/.test(words[i - 1] ?? '') && !pinned(w));
    if (names.length > 0) report('PackageNotPinned', raw, `${manager} installs ${names.join(', ')} without a version: pin them so rebuilds get the same packages`);
  };
  for (const words of commands) {
    const [tool = '', verb = ''] = words.filter((w) => !w.startsWith('-'));
    const rest = words.slice(words.indexOf(verb) + 1);
    if (tool === 'apt-get' && verb === 'install') unpinned('apt-get install', rest, (w) => w.includes('=') || w.endsWith('.deb'));
    if (tool === 'apk' && verb === 'add') unpinned('apk add', rest, (w) => /[=~<>]/.test(w));
    if (/^pip3?$/.test(tool) && verb === 'install') {
      unpinned('pip install', rest, (w) => /[=<>~@]/.test(w) || /^[./~$]/.test(w) || /\.(whl|tar\.gz|zip)$/.test(w) || w.includes('://'));
      if (!words.includes('--no-cache-dir') && !/PIP_NO_CACHE_DIR/.test(script) && !cached(/target=\/root\/\.cache/)) {
        report('PipNoCacheDir', raw, 'pip install without --no-cache-dir keeps the downloaded wheels in the layer');
      }
    }
    if (tool === 'npm' && (verb === 'install' || verb === 'i' || verb === 'ci') && !/npm\s+cache\s+clean/.test(script) && !cached(/target=\/root\/\.npm/)) {
      report('NpmCacheLeft', raw, `npm ${verb} without npm cache clean --force (or a cache mount on /root/.npm) keeps the npm cache in the layer`);
    }
  }
}

async function checkSecrets(instructions: RawInstruction[], report: Report): Promise<void> {
  for (const raw of instructions) {
    if (raw.keyword === 'ARG' || raw.keyword === 'ENV') {
      for (const [name, value] of namedValues(raw)) {
        const found = value === undefined ? [] : await findSecrets(`${name}=${value}`);
        if (found.length > 0) report('SecretValueInArgOrEnv', raw, `${raw.keyword} ${name} holds a ${found[0]!.kind}`);
        else if (looksLikeSecretName(name) && !namesPublicKeyMaterial(name) && value !== undefined && looksRandom(value)) report('SecretValueInArgOrEnv', raw, `${raw.keyword} ${name} holds a random-looking value (${value.length} characters)`);
        else if (looksLikeSecretName(name) && !looksLikeReference(value)) report('SecretsUsedInArgOrEnv', raw, `Do not use ARG or ENV instructions for sensitive data (${raw.keyword} "${name}")`);
      }
    }
    if (raw.keyword === 'RUN') {
      const found = await findSecrets([raw.args.join(' '), ...raw.heredocs.map((h) => h.content)].join('\n'));
      if (found.length > 0) report('SecretInRunCommand', raw, `RUN command holds a ${found[0]!.kind}, which lands in the image history`);
      for (const copy of secretMountCopies(raw)) {
        report('SecretMountCopied', raw, `RUN writes the secret "${copy.id}" from its mount to ${copy.destination}, so the layer keeps it: use it where it is mounted, or remove ${copy.destination} in the same RUN`);
      }
    }
  }
}

/**
 * A value that looks generated rather than chosen: long, no spaces, and over 3.5 bits of
 * Shannon entropy per character (hex keys score 4, base64 about 5.5, words about 3).
 */
function looksRandom(value: string): boolean {
  if (value.length < 20 || /\s/.test(value) || looksLikeReference(value) || value.includes('$')) return false;
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) entropy -= (count / value.length) * Math.log2(count / value.length);
  return entropy > 3.5;
}

/** A value that names where a secret is (a path, a variable) rather than being one. */
function looksLikeReference(value: string | undefined): boolean {
  return value !== undefined && value !== '' && (/^(\/|\.\/|~\/|\$)/.test(value) || /^(https?|file):\/\//.test(value));
}

function namedValues(raw: RawInstruction): Array<[string, string | undefined]> {
  if (raw.keyword === 'ARG') {
    return raw.args.map((word) => {
      const eq = word.indexOf('=');
      return eq < 0 ? [word, undefined] : [word.slice(0, eq), unquote(word.slice(eq + 1))];
    });
  }
  const pairs: Array<[string, string | undefined]> = [];
  for (let i = 0; i + 1 < raw.args.length; i += 3) pairs.push([raw.args[i]!, unquote(raw.args[i + 1]!)]);
  return pairs;
}

function unquote(value: string): string {
  return value.replace(/^(["'])([\s\S]*)\1$/, '$2');
}

function checkFinalUser(stage: Stage | undefined, report: Report): void {
  const user = stage?.body.filter((raw) => raw.keyword === 'USER').at(-1);
  if (user && /^(root|0)(:.*)?$/.test(user.args[0] ?? '')) report('UserRootLast', user, `The image runs as ${user.args[0]}: switch to a user that is not root at the end`);
}
