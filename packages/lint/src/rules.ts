import type { RuleInfo } from './finding.js';

const SECRET_FIX = 'Pass secrets at build time with RUN --mount=type=secret and tsbuild build --secret id=ID,src=FILE; they never reach the image.';

/** Every rule, with BuildKit's names for its build checks. */
export const RULES: RuleInfo[] = [
  { id: 'StageNameCasing', category: 'style', severity: 'warning', help: 'Stage names should be lowercase.' },
  { id: 'FromAsCasing', category: 'style', severity: 'warning', help: "The 'as' keyword should match the case of the 'FROM' keyword." },
  { id: 'NoEmptyContinuation', category: 'style', severity: 'warning', help: 'Empty continuation lines will become errors in a future release; remove them.' },
  { id: 'ConsistentInstructionCasing', category: 'style', severity: 'warning', help: 'All instructions should use the same casing (uppercase is the convention).' },
  { id: 'DuplicateStageName', category: 'correctness', severity: 'error', help: 'Stage names must be unique.' },
  { id: 'ReservedStageName', category: 'correctness', severity: 'error', help: "Reserved words such as 'scratch' and 'context' must not be used as stage names." },
  { id: 'JSONArgsRecommended', category: 'best-practice', severity: 'warning', help: 'Use the JSON form of CMD and ENTRYPOINT so that the process gets OS signals (docker stop).' },
  { id: 'MaintainerDeprecated', category: 'best-practice', severity: 'warning', help: 'MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors="…".' },
  { id: 'UndefinedArgInFrom', category: 'correctness', severity: 'warning', help: 'FROM uses a variable that no ARG before the first FROM declares.' },
  { id: 'InvalidDefaultArgInFrom', category: 'correctness', severity: 'warning', help: 'With the default values of the global ARGs, FROM names an empty or invalid image: give the ARG a valid default.' },
  { id: 'UndefinedVar', category: 'correctness', severity: 'warning', help: 'A variable is used that no ENV or ARG of the stage (or its base image) defines; it expands to an empty string. Declare it with ARG in the stage (global ARGs are only visible in FROM).' },
  { id: 'WorkdirRelativePath', category: 'correctness', severity: 'warning', help: 'A relative WORKDIR depends on the base image\'s working directory; use an absolute path.' },
  { id: 'MultipleInstructionsDisallowed', category: 'correctness', severity: 'warning', help: 'Only the last CMD, ENTRYPOINT or HEALTHCHECK of a stage takes effect; remove the others.' },
  { id: 'LegacyKeyValueFormat', category: 'style', severity: 'warning', help: 'Use the KEY=value form of ENV and LABEL; the "KEY value" form is legacy.' },
  { id: 'InvalidBaseImagePlatform', category: 'correctness', severity: 'warning', help: "The base image's platform is not the one the build targets: it will run under emulation or not at all. Pick the right image or --platform." },
  { id: 'RedundantTargetPlatform', category: 'best-practice', severity: 'warning', help: 'FROM --platform=$TARGETPLATFORM is the default and can be removed.' },
  { id: 'FromPlatformFlagConstDisallowed', category: 'best-practice', severity: 'warning', help: 'FROM --platform should not be a constant: use $BUILDPLATFORM or a build arg.' },
  { id: 'CopyIgnoredFile', category: 'correctness', severity: 'warning', help: 'COPY/ADD names a file the .dockerignore excludes, so the build does not see it: fix the source or the ignore file.' },
  { id: 'ExposeProtoCasing', category: 'style', severity: 'warning', help: 'EXPOSE protocols should be lowercase (tcp, udp, sctp).' },
  { id: 'ExposeInvalidFormat', category: 'correctness', severity: 'warning', help: 'EXPOSE takes PORT[/PROTO]; IP addresses and host ports belong to the runtime (docker run -p).' },
  { id: 'SecretsUsedInArgOrEnv', category: 'secret', severity: 'warning', help: `ARG and ENV values are stored in the image config and history. ${SECRET_FIX}` },
  { id: 'SecretValueInArgOrEnv', category: 'secret', severity: 'error', help: `An ARG or ENV value is a secret (a known token format); it is stored in the image. ${SECRET_FIX}` },
  { id: 'SecretInRunCommand', category: 'secret', severity: 'error', help: `A RUN command holds a token written inline; the command is stored in the image history. ${SECRET_FIX}` },
  { id: 'SecretMountCopied', category: 'secret', severity: 'error', help: `A RUN copies a secret out of its secret mount into the filesystem, where the layer keeps it. Read it where it is mounted (or point the mount's target= where the tool looks), or delete the copy in the same RUN.` },
  { id: 'SecretFileCopied', category: 'secret', severity: 'error', help: `COPY/ADD puts a secret file from the context into the image. Exclude it in .dockerignore; ${SECRET_FIX}` },
  { id: 'ShellCheck', category: 'correctness', severity: 'warning', help: 'shellcheck found a problem in a RUN script (the message starts with its SC code; see https://www.shellcheck.net/wiki/). Switch one off with # tsbuild-lint ignore=ShellCheck above the RUN, or # shellcheck disable=SCnnnn in a heredoc script.' },
  { id: 'UntaggedBaseImage', category: 'best-practice', severity: 'warning', help: 'Pin the base image to a tag (better: a digest) so builds are repeatable.' },
  { id: 'AptNoCleanup', category: 'waste', severity: 'warning', help: 'apt-get install without removing /var/lib/apt/lists/* in the same RUN keeps the package lists in the layer.' },
  { id: 'AptNoInstallRecommends', category: 'waste', severity: 'info', help: 'apt-get install without --no-install-recommends installs packages nobody asked for.' },
  { id: 'ApkNoCache', category: 'waste', severity: 'warning', help: 'apk add without --no-cache keeps the index in the layer.' },
  { id: 'PipNoCacheDir', category: 'waste', severity: 'warning', help: 'pip install without --no-cache-dir (or PIP_NO_CACHE_DIR, or a cache mount) keeps its download cache in the layer.' },
  { id: 'NpmCacheLeft', category: 'waste', severity: 'info', help: 'npm install/ci leaves ~/.npm in the layer: add npm cache clean --force, or use RUN --mount=type=cache,target=/root/.npm.' },
  { id: 'PackageNotPinned', category: 'best-practice', severity: 'info', help: 'Packages installed without a version change under you: pin apt-get (pkg=1.2-3), apk (pkg=1.2.3-r0) and pip (pkg==1.2.3) packages.' },
  { id: 'SudoInRun', category: 'best-practice', severity: 'warning', help: 'sudo in a Dockerfile is unpredictable (TTY, PAM, environment): use USER root for the steps that need it.' },
  { id: 'AptInsteadOfAptGet', category: 'best-practice', severity: 'info', help: "apt's command line is meant for people and may change; scripts use apt-get." },
  { id: 'AddInsteadOfCopy', category: 'best-practice', severity: 'info', help: 'ADD of a local file that is not an archive: COPY says what happens.' },
  { id: 'CdInsteadOfWorkdir', category: 'best-practice', severity: 'info', help: 'RUN cd … only changes that RUN\'s directory: use WORKDIR.' },
  { id: 'UserRootLast', category: 'best-practice', severity: 'warning', help: 'The image runs as root: end with a USER that is not root.' },
  { id: 'CurlPipeShell', category: 'best-practice', severity: 'warning', help: 'curl … | sh without -f (or set -o pipefail) runs an error page as a script when the download fails.' },
  { id: 'SecretInLayer', category: 'secret', severity: 'error', help: `A file in a layer holds a secret; deleting it in a later step does not remove it from the image. ${SECRET_FIX}` },
  { id: 'SecretInImageConfig', category: 'secret', severity: 'error', help: `The image config (Env, Labels) holds a secret. ${SECRET_FIX}` },
  { id: 'BuildArgInHistory', category: 'secret', severity: 'error', help: `A secret-looking build arg reached the image history (RUN records the ARGs it saw). ${SECRET_FIX}` },
  { id: 'SecretInHistory', category: 'secret', severity: 'error', help: `A command in the image history holds a token: anyone who pulls the image can read it with docker history. ${SECRET_FIX}` },
  { id: 'WastedSpace', category: 'waste', severity: 'warning', help: 'Bytes added in one layer and deleted or overwritten in a later one still ship: do both in one RUN, or use a multi-stage build.' },
];

/** BuildKit's build checks: their documentation lives at docs.docker.com. */
const BUILDKIT_CHECKS = new Set([
  'StageNameCasing', 'FromAsCasing', 'NoEmptyContinuation', 'ConsistentInstructionCasing', 'DuplicateStageName', 'ReservedStageName',
  'JSONArgsRecommended', 'MaintainerDeprecated', 'UndefinedArgInFrom', 'WorkdirRelativePath', 'UndefinedVar', 'MultipleInstructionsDisallowed',
  'LegacyKeyValueFormat', 'InvalidBaseImagePlatform', 'RedundantTargetPlatform', 'SecretsUsedInArgOrEnv', 'InvalidDefaultArgInFrom',
  'FromPlatformFlagConstDisallowed', 'CopyIgnoredFile', 'ExposeProtoCasing', 'ExposeInvalidFormat',
]);

export function isBuildkitCheck(id: string): boolean {
  return BUILDKIT_CHECKS.has(id);
}

/** Where a rule is documented: BuildKit's page for its checks, shellcheck's wiki; undefined for ours (the help text says it all). */
export function ruleUrl(id: string): string | undefined {
  if (id === 'ShellCheck') return 'https://www.shellcheck.net/wiki/';
  if (!BUILDKIT_CHECKS.has(id)) return undefined;
  const kebab = id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').toLowerCase();
  return `https://docs.docker.com/go/dockerfile/rule/${kebab}/`;
}

export function ruleInfo(id: string): RuleInfo {
  const info = RULES.find((r) => r.id === id);
  if (!info) throw new Error(`unknown lint rule ${id}`);
  return info;
}
