import { posix } from 'node:path';
import { TsbuildError, type Diagnostic, type SourceLocation } from '@tsbuild/errors';
import type { RawInstruction } from '../ast.js';
import type { FromInstruction, Instruction, SourceRef } from '../instructions.js';
import type { Plan, Platform, Stage, Step, StepState } from '../plan.js';
import { asTemplateError, decodeInstruction, parseDockerfile } from '../parse/index.js';
import { expandWord, expandWords } from '../shell/index.js';
import { stagesForTarget } from './dag.js';
import { atInstruction, atInstructionAsync, locationOf } from './located.js';
import { hostPlatform, platformArgs, PROXY_ARGS } from './platform.js';
import { Scope } from './scope.js';
import { checkStageName, splitStages, type StageSource } from './stages.js';

/** What the planner needs to know of a base image: the parts of its config a Dockerfile sees. */
export interface BaseImageConfig {
  env?: string[];
  workdir?: string;
  user?: string;
  shell?: string[];
  onbuild?: string[];
}

export interface PlanOptions {
  /** The Dockerfile's text. */
  dockerfile: string;
  /** Path shown in errors; default `Dockerfile`. */
  file?: string;
  context?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  platform?: Platform;
  /** Looks up a base image's config, so `ENV PATH=$PATH:…` sees the image's PATH. */
  resolveImage?: (ref: string, platform: Platform) => Promise<BaseImageConfig | undefined>;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
/** BuildKit gives images built FROM scratch this PATH. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface StageHead {
  source: StageSource;
  from: FromInstruction;
  name?: string;
}

interface StageEnd {
  state: StepState;
  onbuild: string[];
}

type ImageResolver = (ref: string, platform: Platform) => Promise<BaseImageConfig | undefined>;

/** Parses, expands and plans a Dockerfile: the plan `tsbuild plan` prints and the executor runs. */
export async function createPlan(options: PlanOptions): Promise<Plan> {
  try {
    return await plan(options);
  } catch (error) {
    throw asTemplateError(error, options.dockerfile, options.file ?? 'Dockerfile');
  }
}

async function plan(options: PlanOptions): Promise<Plan> {
  const planner = new Planner(options);
  // Plan once without image configs to learn which stages the target needs, then resolve only
  // the base images of those stages.
  const first = await planner.planStages(async () => undefined);
  const needed = new Set(stagesForTarget(first, planner.target()).map((s) => s.index));
  const resolve = options.resolveImage;
  const stages = resolve
    ? await planner.planStages((ref, platform) => resolve(ref, platform), needed)
    : first;
  const ordered = stagesForTarget(stages, planner.target());
  return {
    version: 1,
    file: planner.file,
    context: options.context ?? '.',
    target: planner.target(),
    platform: planner.platform,
    buildArgs: { ...(options.buildArgs ?? {}) },
    stages: ordered,
    warnings: [...planner.parseWarnings, ...planner.unusedBuildArgWarnings(ordered)],
  };
}

class Planner {
  readonly file: string;
  readonly platform: Platform;
  readonly parseWarnings: Diagnostic[];
  private readonly escape: '\\' | '`';
  private readonly buildArgs: Record<string, string>;
  private readonly heads: StageHead[];
  private readonly globalScope: Scope;
  private readonly globalArgNames = new Set<string>();
  private readonly consumedByStage = new Map<number, Set<string>>();
  private readonly targetName: string | undefined;

  constructor(options: PlanOptions) {
    this.file = options.file ?? 'Dockerfile';
    this.platform = options.platform ?? hostPlatform();
    this.buildArgs = options.buildArgs ?? {};
    this.targetName = options.target;
    const parsed = parseDockerfile(options.dockerfile, this.file);
    this.parseWarnings = parsed.warnings;
    this.escape = parsed.directives.escape;
    const split = splitStages(parsed);
    this.globalScope = this.evaluateGlobalArgs(split.globalArgs);
    this.heads = this.decodeHeads(split.stages);
  }

  target(): number {
    if (this.targetName === undefined) return this.heads.length - 1;
    const index = this.heads.findIndex((h) => h.name === this.targetName!.toLowerCase());
    if (index < 0) {
      throw new TsbuildError('TARGET_NOT_FOUND', `target stage "${this.targetName}" could not be found in ${this.file}`, {
        kind: 'usage',
      });
    }
    return index;
  }

  async planStages(resolve: ImageResolver, only?: Set<number>): Promise<Stage[]> {
    const ends: StageEnd[] = [];
    const stages: Stage[] = [];
    for (let index = 0; index < this.heads.length; index++) {
      const lookup = only === undefined || only.has(index) ? resolve : async () => undefined;
      const { stage, end } = await this.planStage(index, ends, lookup);
      stages.push(stage);
      ends.push(end);
    }
    return stages;
  }

  unusedBuildArgWarnings(stages: Stage[]): Diagnostic[] {
    const consumed = new Set(this.globalArgNames);
    for (const stage of stages) for (const name of this.consumedByStage.get(stage.index) ?? []) consumed.add(name);
    return Object.keys(this.buildArgs)
      .filter((name) => !consumed.has(name) && !PROXY_ARGS.has(name))
      .map((name) => ({
        code: 'UNUSED_BUILD_ARG',
        severity: 'warning' as const,
        message: `build-arg "${name}" was not consumed by any ARG of the stages built`,
        location: { file: this.file, line: 1 },
      }));
  }

  private decode(raw: RawInstruction, scope: Scope): Instruction {
    const env = scope.asExpansionEnv();
    const options = { escape: this.escape };
    return atInstruction(this.file, raw, () =>
      decodeInstruction(raw, {
        file: this.file,
        escape: this.escape,
        expand: (word) => expandWord(word, env, options),
        expandWords: (word) => expandWords(word, env, options),
        expandHeredoc: (body) => expandWord(body, env, { ...options, keepQuotes: true }),
      }),
    );
  }

  /** Global ARGs feed only FROM lines; the automatic platform ARGs are visible there too. */
  private evaluateGlobalArgs(raws: RawInstruction[]): Scope {
    let scope = new Scope([], new Map(platformArgs(this.platform)));
    for (const raw of raws) {
      const instruction = this.decode(raw, scope);
      if (instruction.kind !== 'ARG') continue;
      for (const arg of instruction.args) {
        this.globalArgNames.add(arg.name);
        scope = scope.withArg(arg.name, this.buildArgs[arg.name] ?? arg.default);
      }
    }
    return scope;
  }

  private decodeHeads(sources: StageSource[]): StageHead[] {
    const seen = new Set<string>();
    return sources.map((source) => {
      const from = this.decode(source.from, this.globalScope) as FromInstruction;
      if (from.image.trim() === '') {
        throw new TsbuildError('BLANK_BASE_IMAGE', `base name (${source.from.args[0] ?? ''}) should not be blank`, {
          location: locationOf(this.file, source.from),
        });
      }
      const name = from.stageName?.toLowerCase();
      if (name !== undefined) {
        checkStageName(name, this.file, source.from);
        if (seen.has(name)) {
          throw new TsbuildError('DUPLICATE_STAGE_NAME', `duplicate stage name "${name}"`, {
            location: locationOf(this.file, source.from),
          });
        }
        seen.add(name);
      }
      return { source, from, ...(name === undefined ? {} : { name }) };
    });
  }

  private async planStage(index: number, ends: StageEnd[], resolve: ImageResolver) {
    const head = this.heads[index]!;
    const location = locationOf(this.file, head.source.from);
    const base = this.resolveBase(head, index);
    const platform = head.from.platform;
    // A base image that cannot be had (not found, registry down) is an error on its FROM line.
    const start = await atInstructionAsync(this.file, head.source.from, () => this.initialState(base, ends, platform, resolve));
    const consumed = new Set<string>();
    this.consumedByStage.set(index, consumed);

    let scope = new Scope(start.state.env, new Map());
    let { workdir, user, shell } = start.state;
    const onbuild: string[] = [];
    const dependsOn = new Set<number>(base.kind === 'stage' ? [base.index] : []);
    const images = new Set<string>();
    const steps: Step[] = [];

    const body = [...this.triggers(start.onbuild, location), ...head.source.body];
    for (const raw of body) {
      const state: StepState = { workdir, env: scope.env, args: this.runArgs(scope), user, shell };
      const instruction = this.resolveSources(this.decode(raw, scope), index, raw);
      for (const ref of sourcesOf(instruction)) {
        if (ref.kind === 'stage') dependsOn.add(ref.index);
        if (ref.kind === 'image') images.add(ref.ref);
      }
      steps.push({
        id: `${index}/${steps.length + 1}`,
        location: raw === head.source.from ? location : locationOf(this.file, raw),
        original: raw.original,
        instruction,
        state,
      });
      switch (instruction.kind) {
        case 'ENV':
          scope = scope.withEnv(instruction.pairs);
          break;
        case 'ARG':
          for (const arg of instruction.args) {
            consumed.add(arg.name);
            scope = scope.withArg(arg.name, this.stageArgValue(arg.name, arg.default));
          }
          break;
        case 'WORKDIR':
          workdir = posix.resolve(workdir, instruction.path);
          break;
        case 'USER':
          user = instruction.user;
          break;
        case 'SHELL':
          shell = instruction.shell;
          break;
        case 'ONBUILD':
          onbuild.push(instruction.trigger);
          break;
        default:
          break;
      }
    }

    const stage: Stage = {
      index,
      ...(head.name === undefined ? {} : { name: head.name }),
      base,
      ...(platform === undefined ? {} : { platform }),
      dependsOn: [...dependsOn].sort((a, b) => a - b),
      images: [...images],
      location,
      steps,
    };
    const end: StageEnd = { state: { workdir, env: scope.env, args: [], user, shell }, onbuild };
    return { stage, end };
  }

  /** An ARG in a stage: a build arg wins, then its default, then the global ARG of that name. */
  private stageArgValue(name: string, fallback: string | undefined): string | undefined {
    return this.buildArgs[name] ?? fallback ?? this.globalScope.args.get(name);
  }

  /** RUN sees the ARGs in scope and the proxy build args, which need no declaration. */
  private runArgs(scope: Scope): Array<[string, string]> {
    const args = scope.definedArgs();
    for (const [name, value] of Object.entries(this.buildArgs)) {
      if (PROXY_ARGS.has(name) && !scope.args.has(name)) args.push([name, value]);
    }
    return args;
  }

  private resolveBase(head: StageHead, index: number): Stage['base'] {
    const image = head.from.image;
    if (image.toLowerCase() === 'scratch') return { kind: 'scratch' };
    // FROM names only stages declared before it; a later name is an image, as in Docker.
    const stage = this.heads.findIndex((h, i) => i < index && h.name === image.toLowerCase());
    return stage >= 0 ? { kind: 'stage', index: stage } : { kind: 'image', ref: image };
  }

  private async initialState(base: Stage['base'], ends: StageEnd[], platform: string | undefined, resolve: ImageResolver) {
    if (base.kind === 'stage') return ends[base.index]!;
    const fresh: StageEnd = {
      state: { workdir: '/', env: [['PATH', DEFAULT_PATH]], args: [], user: '', shell: DEFAULT_SHELL },
      onbuild: [],
    };
    if (base.kind === 'scratch') return fresh;
    const config = await resolve(base.ref, platform ? parsePlatform(platform, this.platform) : this.platform);
    if (!config) return fresh;
    return {
      state: {
        workdir: config.workdir || '/',
        env: (config.env ?? []).map(splitEnv),
        args: [],
        user: config.user ?? '',
        shell: config.shell?.length ? config.shell : DEFAULT_SHELL,
      },
      onbuild: config.onbuild ?? [],
    };
  }

  /** ONBUILD triggers of the base run first, each located at the FROM line that pulled them in. */
  private triggers(triggers: string[], location: SourceLocation): RawInstruction[] {
    return triggers.flatMap((trigger) =>
      parseDockerfile(trigger, this.file).instructions.map((raw) => ({
        ...raw,
        range: { start: location.line, end: location.endLine ?? location.line },
      })),
    );
  }

  private resolveSources(instruction: Instruction, current: number, raw: RawInstruction): Instruction {
    if (instruction.kind === 'COPY' || instruction.kind === 'ADD') {
      if (instruction.from?.kind !== 'image') return instruction;
      return { ...instruction, from: this.resolveSource(instruction.from.ref, current, raw) };
    }
    if (instruction.kind === 'RUN') {
      const mounts = instruction.mounts.map((m) =>
        m.from?.kind === 'image' ? { ...m, from: this.resolveSource(m.from.ref, current, raw) } : m,
      );
      return { ...instruction, mounts };
    }
    return instruction;
  }

  /** `--from=NAME|INDEX|IMAGE`: a stage by name or index, else an image reference. */
  private resolveSource(name: string, current: number, raw: RawInstruction): SourceRef {
    const location = locationOf(this.file, raw);
    if (/^\d+$/.test(name)) {
      const index = Number(name);
      if (index >= this.heads.length) {
        throw new TsbuildError('STAGE_NOT_FOUND', `stage ${index} does not exist (the Dockerfile has ${this.heads.length})`, { location });
      }
      if (index === current) {
        throw new TsbuildError('CIRCULAR_STAGE_REFERENCE', `stage ${index} cannot copy from itself`, { location });
      }
      return { kind: 'stage', index };
    }
    const index = this.heads.findIndex((h) => h.name === name.toLowerCase());
    if (index === current) {
      throw new TsbuildError('CIRCULAR_STAGE_REFERENCE', `stage "${name}" cannot copy from itself`, { location });
    }
    if (index >= 0) return { kind: 'stage', index };
    if (name.toLowerCase() === 'scratch') return { kind: 'scratch' };
    return { kind: 'image', ref: name };
  }
}

function sourcesOf(instruction: Instruction): SourceRef[] {
  if (instruction.kind === 'COPY' || instruction.kind === 'ADD') return instruction.from ? [instruction.from] : [];
  if (instruction.kind === 'RUN') return instruction.mounts.flatMap((m) => (m.from ? [m.from] : []));
  return [];
}

function splitEnv(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
}

function parsePlatform(value: string, fallback: Platform): Platform {
  const [os, architecture, variant] = value.split('/');
  if (!os || !architecture) return fallback;
  return { os, architecture, ...(variant ? { variant } : {}) };
}
