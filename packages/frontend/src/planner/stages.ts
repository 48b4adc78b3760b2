import { TsbuildError } from '@tsbuild/errors';
import type { ParsedDockerfile, RawInstruction } from '../ast.js';
import { locationOf } from './located.js';

/** The Dockerfile cut at its FROM lines: the global ARGs before the first FROM, then each stage. */
export interface StageSource {
  from: RawInstruction;
  body: RawInstruction[];
}

export interface SplitDockerfile {
  globalArgs: RawInstruction[];
  stages: StageSource[];
}

export function splitStages(parsed: ParsedDockerfile): SplitDockerfile {
  const globalArgs: RawInstruction[] = [];
  const stages: StageSource[] = [];
  for (const raw of parsed.instructions) {
    if (raw.keyword === 'FROM') {
      stages.push({ from: raw, body: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.body.push(raw);
    } else if (raw.keyword === 'ARG') {
      globalArgs.push(raw);
    } else {
      throw new TsbuildError('NO_BUILD_STAGE', `${raw.keyword} before the first FROM: only ARG may come before FROM`, {
        location: locationOf(parsed.file, raw),
      });
    }
  }
  if (stages.length === 0) {
    throw new TsbuildError('NO_BUILD_STAGE', 'the Dockerfile has no FROM instruction', {
      location: { file: parsed.file, line: parsed.instructions[0]?.range.start ?? 1 },
    });
  }
  return { globalArgs, stages };
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function checkStageName(name: string, file: string, raw: RawInstruction): void {
  if (!STAGE_NAME.test(name)) {
    throw new TsbuildError(
      'INVALID_STAGE_NAME',
      `invalid name for build stage: "${name}", name can't start with a number or contain symbols`,
      { location: locationOf(file, raw) },
    );
  }
}
