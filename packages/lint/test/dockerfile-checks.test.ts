import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { lintDockerfile, toGithubCommands, toSarif, RULES, type Finding } from '@tsbuild/lint';

import { corpusDir, listFiles, repoRoot } from '../../../test/support/paths.js';

async function lint(text: string, contextFiles?: Record<string, string>): Promise<Array<[string, number | undefined]>> {
  return (await findings(text, contextFiles)).map((f) => [f.rule, f.line]);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function findings(text: string, contextFiles?: Record<string, string>): Promise<Finding[]> {
  let contextDir: string | undefined;
  if (contextFiles) {
    contextDir = mkdtempSync(join(tmpdir(), 'tsbuild-lint-'));
    dirs.push(contextDir);
    for (const [name, content] of Object.entries(contextFiles)) {
      mkdirSync(join(contextDir, name, '..'), { recursive: true });
      writeFileSync(join(contextDir, name), content);
    }
  }
  return lintDockerfile({ text, file: 'Dockerfile', ...(contextDir ? { contextDir } : {}) });
}

const GITHUB_TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

describe("BuildKit's build checks", () => {
  it('fire on their minimal examples', async () => {
    expect(await lint('FROM busybox:1 as Build\n')).toEqual([['FromAsCasing', 1], ['StageNameCasing', 1]]);
    expect(await lint('FROM busybox:1\nrun true\nRUN true\nRUN true\n')).toEqual([['ConsistentInstructionCasing', 2]]);
    expect(await lint('FROM busybox:1 AS a\nFROM busybox:1 AS a\n')).toEqual([['DuplicateStageName', 2]]);
    expect(await lint('FROM busybox:1 AS scratch\n')).toEqual([['ReservedStageName', 1]]);
    expect(await lint('FROM busybox:1\nCMD echo hi\n')).toEqual([['JSONArgsRecommended', 2]]);
    expect(await lint('FROM busybox:1\nMAINTAINER me\n')).toEqual([['MaintainerDeprecated', 2]]);
    expect(await lint('FROM busybox:1${VERSION}\n')).toEqual([['UndefinedArgInFrom', 1]]);
    expect(await lint('FROM busybox:1\nWORKDIR app\n')).toEqual([['WorkdirRelativePath', 2]]);
    expect(await lint('FROM busybox:1\nCMD ["a"]\nCMD ["b"]\n')).toEqual([['MultipleInstructionsDisallowed', 2]]);
    expect(await lint('FROM busybox:1\nENV A b\n')).toEqual([['LegacyKeyValueFormat', 2]]);
    expect(await lint('FROM --platform=$TARGETPLATFORM busybox:1\n')).toEqual([['RedundantTargetPlatform', 1]]);
    expect(await lint('FROM --platform=linux/amd64 busybox:1\n')).toEqual([['FromPlatformFlagConstDisallowed', 1]]);
    expect(await lint('FROM busybox:1\nEXPOSE 80/TCP\n')).toEqual([['ExposeProtoCasing', 2]]);
    expect(await lint('FROM busybox:1\nEXPOSE 127.0.0.1:80:80\n')).toEqual([['ExposeInvalidFormat', 2]]);
    expect(await lint('FROM busybox:1\nRUN a \\\n\n  b\n')).toEqual([['NoEmptyContinuation', 2]]);
  });

  it('stay quiet on the near misses', async () => {
    expect(await lint('FROM busybox:1 AS build\nFROM busybox:1 as b2\n')).toEqual([['FromAsCasing', 2]]);
    expect(await lint('ARG VERSION=1\nFROM busybox:${VERSION} AS build\nWORKDIR /app\nWORKDIR sub\nENV A=b\nCMD ["sh"]\nEXPOSE 80/udp 8080\n')).toEqual([]);
    expect(await lint('FROM --platform=$BUILDPLATFORM busybox:1\n')).toEqual([]);
  });
});

describe('secrets in the Dockerfile', () => {
  it('flags secret-looking names, secret values and tokens in RUN, and says what to do', async () => {
    const found = await findings(`FROM busybox:1
ARG API_TOKEN
ENV DB_PASSWORD=hunter2
ENV GITHUB=${GITHUB_TOKEN}
RUN curl -H "Authorization: token ${GITHUB_TOKEN}" https://api.github.com/
`);
    expect(found.map((f) => [f.rule, f.line, f.severity])).toEqual([
      ['SecretsUsedInArgOrEnv', 2, 'warning'],
      ['SecretsUsedInArgOrEnv', 3, 'warning'],
      ['SecretValueInArgOrEnv', 4, 'error'],
      ['SecretInRunCommand', 5, 'error'],
    ]);
    expect(found[2]!.message).toBe('ENV GITHUB holds a GitHub Token');
    expect(found.map((f) => f.message).join('\n')).not.toContain(GITHUB_TOKEN.slice(4));
  });

  it('does not flag names that only look secret-ish', async () => {
    expect(await lint('FROM busybox:1\nARG KEYBOARD=us\nARG PUBLIC_KEY_URL=https://x/k.pub\nENV TOKEN_FILE=/run/secrets/token\nENV SSH_KEY_PATH=/keys/id\n')).toEqual([]);
  });

  it('flags COPY of secret files the context really holds, after .dockerignore', async () => {
    const context = {
      '.env': 'DB_PASSWORD=hunter2\n',
      '.npmrc': '//registry.npmjs.org/:_authToken=abc\n',
      'keys/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      'app/main.js': 'console.log(1)\n',
      'app/.env.example': 'DB_PASSWORD=\n',
      '.dockerignore': '.npmrc\n',
    };
    const found = await findings('FROM busybox:1\nCOPY app /app\nCOPY . /src\n', context);
    expect(found.map((f) => [f.rule, f.line, f.message])).toEqual([
      ['SecretFileCopied', 3, 'COPY copies the secret file ".env" (environment file with values) into the image'],
      ['SecretFileCopied', 3, 'COPY copies the secret file "keys/id_rsa" (SSH private key) into the image'],
    ]);
  });
});

describe('practice rules and suppression', () => {
  it('fires hadolint-style rules', async () => {
    expect(await lint('FROM ubuntu\nRUN apt-get update && apt-get install -y curl=7.88.1-10\nRUN apk add git=2.45.2-r0\nADD notes.txt /\nRUN cd /tmp && make\nRUN curl -s https://x.sh | sh\nUSER root\n')).toEqual([
      ['UntaggedBaseImage', 1],
      ['AptNoCleanup', 2],
      ['AptNoInstallRecommends', 2],
      ['ApkNoCache', 3],
      ['AddInsteadOfCopy', 4],
      ['CdInsteadOfWorkdir', 5],
      ['CurlPipeShell', 6],
      ['UserRootLast', 7],
    ]);
    expect(await lint('FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2ubuntu10 && rm -rf /var/lib/apt/lists/*\nRUN curl -fsSL https://x.sh | sh\nADD site.tar.gz /srv/\n')).toEqual([]);
  });

  it('honours # tsbuild-lint ignore= and the check=skip directive', async () => {
    expect(await lint('FROM busybox:1\n# tsbuild-lint ignore=JSONArgsRecommended\nCMD echo hi\n')).toEqual([]);
    expect(await lint('# check=skip=JSONArgsRecommended,MaintainerDeprecated\nFROM busybox:1\nMAINTAINER me\nCMD echo hi\n')).toEqual([]);
  });
});

describe('output formats', () => {
  it('writes SARIF 2.1.0 with rules, help, levels, start lines and fingerprints', async () => {
    const found = await findings(`FROM busybox:1\nENV GITHUB=${GITHUB_TOKEN}\nCMD echo\n`);
    const sarif = toSarif(found, '0.1.0') as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; help: { text: string }; properties: Record<string, unknown> }> } }; results: Array<Record<string, any>> }> };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['JSONArgsRecommended', 'SecretValueInArgOrEnv']);
    expect(run.tool.driver.rules[1]!.properties['security-severity']).toBe('8.0');
    expect(run.results.map((r) => [r.ruleId, r.level, r.locations[0].physicalLocation.region.startLine, run.tool.driver.rules[r.ruleIndex]!.id])).toEqual([
      ['SecretValueInArgOrEnv', 'error', 2, 'SecretValueInArgOrEnv'],
      ['JSONArgsRecommended', 'warning', 3, 'JSONArgsRecommended'],
    ]);
    for (const result of run.results) expect(result.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes GitHub workflow commands, most severe first, escaped', () => {
    const lines = toGithubCommands([
      { rule: 'StageNameCasing', category: 'style', severity: 'warning', message: "Stage name 'B' should be lowercase", file: 'Dockerfile', line: 1 },
      { rule: 'SecretValueInArgOrEnv', category: 'secret', severity: 'error', message: 'ENV A holds a token, 100%\nreally', file: 'dir,a/Dockerfile', line: 2 },
    ]);
    expect(lines).toEqual([
      '::error file=dir%2Ca/Dockerfile,line=2,title=SecretValueInArgOrEnv::ENV A holds a token, 100%25%0Areally',
      "::warning file=Dockerfile,line=1,title=StageNameCasing::Stage name 'B' should be lowercase",
    ]);
  });

  it('has help for every rule', () => {
    for (const rule of RULES) expect(rule.help.length).toBeGreaterThan(20);
  });
});

describe('the shared corpus', () => {
  it('lints every Dockerfile without a crash', async () => {
    const files = listFiles(corpusDir, (name) => name.startsWith('Dockerfile') && !name.endsWith('.template'));
    const perRule = new Map<string, number>();
    for (const path of files) {
      for (const f of await lintDockerfile({ text: readFileSync(join(corpusDir, path), 'utf8'), file: path })) {
        expect(f.line).toBeGreaterThan(0);
        perRule.set(f.rule, (perRule.get(f.rule) ?? 0) + 1);
      }
    }
    // The count of findings per rule over the corpus, for the log.
    process.stdout.write(`lint over ${files.length} corpus Dockerfiles: ${JSON.stringify(Object.fromEntries([...perRule].sort()))}\n`);
    expect(files.length).toBeGreaterThan(70);
  });
});

describe("Microsoft's SARIF validator", () => {
  it('accepts our SARIF with no error', async () => {
    const { execFileSync } = await import('node:child_process');
    const found = await findings(`FROM ubuntu as Build\nARG API_TOKEN\nENV GITHUB=${GITHUB_TOKEN}\nCMD echo\n`);
    const dir = mkdtempSync(join(tmpdir(), 'tsbuild-sarif-'));
    dirs.push(dir);
    const file = join(dir, 'lint.sarif');
    writeFileSync(file, JSON.stringify(toSarif(found, '0.1.0'), null, 2));
    const bin = join(repoRoot, 'node_modules', '.bin', 'sarif-multitool');
    const output = execFileSync(bin, ['validate', file], { encoding: 'utf8' });
    expect(output).toContain('Analysis completed successfully');
    expect(output.split('\n').filter((line) => /: error /.test(line))).toEqual([]);
  }, 120_000);
});
