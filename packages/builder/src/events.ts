import type { SourceLocation } from '@tsbuild/errors';

/**
 * What a build reports as it goes; the CLI turns these into the TTY view, plain logs or rawjson.
 * `step` is the plan's step id (`STAGE/STEP`); `name` is what a person reads (`[build 2/5] RUN make`).
 */
export type BuildEvent =
  | { type: 'step-started'; step: string; name: string; location: SourceLocation; time: number }
  | { type: 'step-log'; step: string; stream: 'stdout' | 'stderr'; line: string; time: number }
  | { type: 'step-cached'; step: string; name: string; key?: string; time: number }
  /** A filesystem step will run: why the cache did not have it (`file src/app.js changed`, `build arg V changed`). */
  | { type: 'step-miss'; step: string; reason: string; key: string; time: number }
  | { type: 'step-done'; step: string; name: string; seconds: number; layerBytes?: number; time: number }
  | { type: 'step-error'; step: string; name: string; message: string; location: SourceLocation; time: number }
  | { type: 'image-pulled'; ref: string; digest: string; time: number }
  | { type: 'image-written'; digest: string; tags: string[]; layers: number; size: number; time: number };

export type BuildEventSink = (event: BuildEvent) => void;
