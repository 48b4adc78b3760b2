import type { Diagnostic, SourceLocation } from '@tsbuild/errors';
import type { Instruction, SourceRef } from './instructions.js';

/**
 * The plan is the one type the executor consumes (and what `tsbuild plan --format json` prints):
 * the stages the target needs, in an order where every stage comes after those it depends on,
 * each step expanded and carrying the state it sees.
 */
export interface Plan {
  version: 1;
  /** The Dockerfile path as shown in errors. */
  file: string;
  /** The build context directory. */
  context: string;
  /** Index of the target stage (the last stage unless `--target`). */
  target: number;
  platform: Platform;
  /** Build args the user passed, after defaults were applied where they were consumed. */
  buildArgs: Record<string, string>;
  stages: Stage[];
  warnings: Diagnostic[];
}

/** The OCI platform type has one home, in oci. */
export type { Platform } from '@tsbuild/oci';
import type { Platform } from '@tsbuild/oci';

export interface Stage {
  /** Index in the Dockerfile (0-based), the number `COPY --from=N` uses. */
  index: number;
  name?: string;
  /** What the stage starts from: an image ref (expanded), another stage, or scratch. */
  base: Extract<SourceRef, { kind: 'image' | 'stage' | 'scratch' }>;
  /** `FROM --platform`, expanded. */
  platform?: string;
  /** Stage indices whose results this stage needs (base, COPY --from, RUN --mount from). */
  dependsOn: number[];
  /** Images used by COPY --from / RUN --mount from=IMAGE (the base image is in `base`). */
  images: string[];
  location: SourceLocation;
  steps: Step[];
}

/** What a step sees when it runs: the state before the step. */
export interface StepState {
  workdir: string;
  /** ENV in effect (base image env first, then the stage's ENVs), in order, last wins. */
  env: Array<[string, string]>;
  /** ARGs in scope with a value, in declaration order; RUN sees them as environment. */
  args: Array<[string, string]>;
  user: string;
  shell: string[];
}

export interface Step {
  /** `STAGE/STEP`, e.g. `1/3`; stable across runs of the same Dockerfile. */
  id: string;
  location: SourceLocation;
  /** The instruction's text as written (continuations included). */
  original: string;
  instruction: Instruction;
  state: StepState;
}
