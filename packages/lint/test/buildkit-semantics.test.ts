import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '@tsbuild/lint';

/** Rule, line and message of each BuildKit-named finding (our own practice rules left out). */
async function found(text: string, options: Partial<Parameters<typeof lintDockerfile>[0]> = {}): Promise<string[]> {
  const all = await lintDockerfile({ text, file: 'Dockerfile', shellcheck: false, ...options });
  return all.filter((f) => !['UntaggedBaseImage', 'UserRootLast', 'CdInsteadOfWorkdir'].includes(f.rule)).map((f) => `${f.rule}@${f.line}: ${f.message}`);
}

describe("BuildKit's conditions and messages", () => {
  it('JSONArgsRecommended: not after a SHELL, also one inherited from a parent stage; the keyword as written', async () => {
    expect(await found('FROM alpine:3\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n')).toEqual([]);
    expect(await found('FROM alpine:3 AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nENTRYPOINT echo hi\n')).toEqual([]);
    expect(await found('from alpine:3\ncmd echo hi\n')).toEqual(['JSONArgsRecommended@2: JSON arguments recommended for cmd to prevent unintended behavior related to OS signals']);
  });

  it('WorkdirRelativePath: only the first WORKDIR of a stage chain', async () => {
    expect(await found('FROM alpine:3\nWORKDIR a\nWORKDIR b\n')).toEqual(['WorkdirRelativePath@2: Relative workdir "a" can have unexpected results if the base image changes']);
    expect(await found('FROM alpine:3 AS base\nWORKDIR /app\nFROM base\nWORKDIR sub\n')).toEqual([]);
    expect(await found('FROM scratch\nENV APP=/srv\nWORKDIR $APP/data\n')).toEqual([]);
    expect(await found('FROM scratch\nENV APP=srv\nWORKDIR $APP\n')).toEqual(['WorkdirRelativePath@3: Relative workdir "srv" can have unexpected results if the base image changes']);
  });

  it('MultipleInstructionsDisallowed: on the earlier instruction, per stage', async () => {
    expect(await found('FROM alpine:3\nHEALTHCHECK NONE\nHEALTHCHECK NONE\n')).toEqual(['MultipleInstructionsDisallowed@2: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used']);
    expect(await found('FROM alpine:3 AS a\nCMD ["a"]\nFROM a\nCMD ["b"]\n')).toEqual([]);
  });

  it('stage names: Go-quoted messages, FromAsCasing with the words as written and quiet for a mixed-case FROM', async () => {
    expect(await found('FROM alpine:3 AS a\nFROM alpine:3 AS A\n')).toEqual([
      "StageNameCasing@2: Stage name 'A' should be lowercase",
      'DuplicateStageName@2: Duplicate stage name "a", stage names should be unique',
    ]);
    expect(await found('FROM alpine:3 AS context\n')).toEqual(['ReservedStageName@1: Stage name should not use the same name as reserved stage "context"']);
    expect(await found('from alpine:3 AS b\n')).toEqual(["FromAsCasing@1: 'AS' and 'from' keywords' casing do not match"]);
    expect(await found('From alpine:3 AS b\n')).toEqual(["ConsistentInstructionCasing@1: Command 'From' should match the case of the command majority (uppercase)"]);
  });

  it('ConsistentInstructionCasing looks at top-level keywords, not ONBUILD triggers', async () => {
    expect(await found('FROM alpine:3\nONBUILD run echo\n')).toEqual([]);
  });

  it('FROM --platform: the redundant variable as written; a constant is fine when the stage name says the platform', async () => {
    expect(await found('FROM --platform=${TARGETPLATFORM} alpine:3\n')).toEqual(['RedundantTargetPlatform@1: Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior']);
    expect(await found('FROM --platform=linux/amd64 alpine:3 AS build-amd64\n')).toEqual([]);
    expect(await found('FROM --platform=linux/arm64 alpine:3 AS build\n')).toEqual(['FromPlatformFlagConstDisallowed@1: FROM --platform flag should not use constant value "linux/arm64"']);
    expect(await found('FROM --platform=$BULIDPLATFORM alpine:3\n')).toEqual(["UndefinedArgInFrom@1: FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)"]);
  });

  it('InvalidDefaultArgInFrom: the defaults give an empty or invalid image name', async () => {
    expect(await found('ARG TAG\nFROM alpine:${TAG}\n')).toEqual(['InvalidDefaultArgInFrom@2: Default value for ARG alpine:${TAG} results in empty or invalid base image name']);
    expect(await found('ARG IMAGE\nFROM $IMAGE\n')).toEqual(['InvalidDefaultArgInFrom@2: Default value for ARG $IMAGE results in empty or invalid base image name']);
    expect(await found('ARG TAG=3.20\nFROM alpine:${TAG}\nARG BASE=alpine:3\nFROM ${BASE}\n')).toEqual([
      "UndefinedArgInFrom@4: FROM argument 'BASE' is not declared",
      'InvalidDefaultArgInFrom@4: Default value for ARG ${BASE} results in empty or invalid base image name',
    ]);
    expect(await found('ARG TAG=3.20\nFROM alpine:${TAG}\n')).toEqual([]);
  });

  it('UndefinedVar: variables no ENV or ARG of the stage defines, with a suggestion', async () => {
    expect(await found('FROM scratch\nARG VERSION=1\nENV APP_HOME=/app\nCOPY app-$VERSION $APP_HOM/\n')).toEqual(["UndefinedVar@4: Usage of undefined variable '$APP_HOM' (did you mean $APP_HOME?)"]);
    // A global ARG is visible in FROM only, until the stage declares it again.
    expect(await found('ARG DIR=/x\nFROM scratch\nWORKDIR $DIR\nARG DIR\nCOPY a $DIR\n')).toEqual([
      "UndefinedVar@3: Usage of undefined variable '$DIR'",
      'WorkdirRelativePath@3: Relative workdir "" can have unexpected results if the base image changes',
    ]);
    // ENV's own words are expanded with the ENV before it; PATH is always set.
    expect(await found('FROM scratch\nENV A=1 B=$A\nENV PATH=$PATH:/opt/bin\n')).toEqual(["UndefinedVar@2: Usage of undefined variable '$A'"]);
    // Escaped, RUN and CMD (the shell expands those) are not reported; a stage FROM another inherits its ENV and ARGs.
    expect(await found('FROM scratch AS a\nENV HOME=/root\nARG V\nFROM a\nRUN echo $NOPE\nCOPY \\$X $HOME/$V\n')).toEqual([]);
  });

  it("UndefinedVar knows a base image's ENV only when given its config", async () => {
    const text = 'FROM golang:1.22\nENV PATH=$GOPATH/bin:$PATH\nCOPY . $GOPTH\n';
    expect(await found(text)).toEqual([]);
    const resolveBaseImage = async (ref: string) => (ref === 'golang:1.22' ? { env: ['PATH=/usr/local/go/bin:/usr/bin', 'GOPATH=/go'] } : undefined);
    expect(await found(text, { resolveBaseImage })).toEqual(["UndefinedVar@3: Usage of undefined variable '$GOPTH' (did you mean $GOPATH?)"]);
  });

  it('InvalidBaseImagePlatform: a local base image of another platform than the FROM asks for', async () => {
    const resolveBaseImage = async (ref: string) => (ref === 'app/base:1' ? { env: ['PATH=/bin'], platform: { os: 'linux', architecture: 'riscv64' } } : undefined);
    const { hostPlatform } = await import('@tsbuild/frontend');
    const host = [hostPlatform().os, hostPlatform().architecture, hostPlatform().variant].filter(Boolean).join('/');
    expect(await found('FROM app/base:1\n', { resolveBaseImage })).toEqual([`InvalidBaseImagePlatform@1: Base image app/base:1 was pulled with platform "linux/riscv64", expected "${host}" for current build`]);
    expect(await found('FROM --platform=linux/riscv64 app/base:1 AS riscv64\n', { resolveBaseImage })).toEqual([]);
  });

  it('the check directive: skip= switches checks off, error=true makes their warnings errors', async () => {
    const text = '# check=skip=MaintainerDeprecated;error=true\nFROM alpine:3\nMAINTAINER me\nCMD echo hi\n';
    const all = await lintDockerfile({ text, file: 'Dockerfile', shellcheck: false });
    expect(all.map((f) => [f.rule, f.severity])).toEqual([['JSONArgsRecommended', 'error']]);
  });

  it('ConsistentInstructionCasing does not count the global ARGs before the first FROM', async () => {
    expect(await found('arg V=1\nFROM alpine:3\n')).toEqual([]);
  });

  it('NoEmptyContinuation says what BuildKit says', async () => {
    expect(await found('FROM alpine:3\nRUN echo a \\\n\n  b\n')).toEqual(['NoEmptyContinuation@2: Empty continuation line']);
  });
});
