import { readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

import pLimit from 'p-limit';

import { explainMiss, exportCache, hashOf, ImportedCache, KeyTrails, stepCacheKey, StepCache, type CacheRef, type CachedStep, type KeyTrail } from '@tsbuild/cache';

import { TsbuildError } from '@tsbuild/errors';
import {
  createPlan,
  DEFAULT_PATH,
  DEFAULT_SHELL,
  formatPlatform,
  type CopyInstruction,
  type Plan,
  type Platform,
  type SourceRef,
  type Stage,
  type Step,
} from '@tsbuild/frontend';
import { chainIds, MediaTypes, withFileLock, type ImageConfig, type LayerCompression, type WrittenImage } from '@tsbuild/oci';
import type { RegistryClient } from '@tsbuild/registry';
import { GZIP, SnapshotStore, writeLayer, type ChunkConsumer, type CompressOptions, type LayerSource } from '@tsbuild/snapshot';
import {
  copyInto,
  ensureWorkdir,
  openContext,
  resolveUser,
  sourceInputs,
  type BuildContext,
  type CopySource,
  type ExtraHost,
  type RuntimeName,
} from '@tsbuild/executor';

import type { BuildEventSink } from './events.js';
import { finalizeImage } from './finalize.js';
import { createdBy, historyComment } from './history.js';
import { applyMetadata, type ConfigContext } from './image-config.js';
import { ImageSource } from './image-source.js';
import type { ChainLayer, ImageState } from './layer-chain.js';
import { ContextDigests } from './context-digests.js';
import { cacheMountDir, containerMounts } from './run-mounts.js';
import { runCommand } from './run-step.js';
import { RunResources } from './run-resources.js';
import { cleanupInterrupted, runsRoot } from './leftovers.js';
import { Workspace, type MountedRoot } from './workspace.js';

export interface BuildOptions {
  /** tsbuild's root (content store, snapshots, cache). */
  root: string;
  /** The build context directory. */
  contextDir: string;
  /** The Dockerfile's text, its host path (for its own .dockerignore) and the name shown in errors. */
  dockerfile: string;
  dockerfilePath: string;
  file: string;
  target?: string;
  buildArgs?: Record<string, string>;
  platform?: Platform;
  registry: RegistryClient;
  /** Ask the registry for base images even when they are here (`--pull`). */
  pull?: boolean;
  /** Run every step, ignoring (but refilling) the step cache (`--no-cache`). */
  noCache?: boolean;
  runtime?: RuntimeName;
  extraHosts?: ExtraHost[];
  secrets?: Record<string, string>;
  /** `--ssh ID=SOCKET`: SSH agent sockets for RUN --mount=type=ssh. */
  sshSockets?: Record<string, string>;
  /** Clamp file times and image dates (SOURCE_DATE_EPOCH), for reproducible images. */
  sourceDateEpoch?: number;
  /**
   * How the layers built here go into the image (default gzip at DEFAULT_GZIP_LEVEL). The CLI
   * passes false when the image is neither pushed nor exported: it stays local with plain-tar
   * layers, as buildah keeps them, and `compressedImage` compresses them (once) if pushed later.
   */
  compression?: LayerCompression | false;
  /** Also handed each layer compressed by this build as it is made: `--push` streams it to the registry. */
  streamLayersTo?: ChunkConsumer;
  format?: 'oci' | 'docker';
  /** `--label`: added to the final image's labels. */
  labels?: Record<string, string>;
  /** `--cache-from`: other caches (a registry artifact, a local dir) to take step results from. */
  cacheFrom?: CacheRef[];
  /** `--cache-to`: where to export this build's step results (mode min: the target's; max: every stage's). */
  cacheTo?: CacheRef;
  /** `--no-cache-filter`: stages (by name or index) that run without the cache. */
  noCacheStages?: string[];
  /** `--network`: RUN's network unless `RUN --network` says otherwise (default host). */
  network?: 'host' | 'none';
  signal?: AbortSignal;
  onEvent?: BuildEventSink;
}

export interface BuildResult {
  plan: Plan;
  image: WrittenImage;
  config: ImageConfig;
  cachedSteps: number;
  executedSteps: number;
}

/**
 * Builds the Dockerfile's target stage into an image in the content store. Every mount and
 * container of the build is gone when this returns or throws; leftovers of killed builds are
 * removed first.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  await cleanupInterrupted(options.root);
  const workspace = Workspace.open(options.root);
  const resources = new RunResources(workspace);
  try {
    return await new Build(options, workspace, resources).run();
  } finally {
    resources.dispose();
    await workspace.close();
  }
}

class Build {
  private readonly store;
  private readonly snapshots: SnapshotStore;
  private readonly cache: StepCache;
  private readonly images: ImageSource;
  private readonly results = new Map<number, ImageState>();
  private readonly digests: ContextDigests;
  private readonly trails: KeyTrails;
  private imported: ImportedCache[] = [];
  /** The step results this build used, by stage, for `--cache-to`. */
  private readonly used: Array<{ stage: number; key: string; record: CachedStep }> = [];
  /** Each stage's base chainID, to tell "the base image changed" from "an earlier step changed". */
  private readonly baseChains = new Map<string, string>();
  /** The target stage and the stages it is built FROM: their layers are the image's. */
  private targetChain = new Set<number>();
  private readonly stageNames = new Map<number, string>();
  private readonly failed = new AbortController();
  /** The user's abort or the first failed stage stops every running step. */
  private readonly signal: AbortSignal;
  private context: BuildContext | undefined;
  private platform: Platform = { os: 'linux', architecture: 'amd64' };
  private cachedSteps = 0;
  private executedSteps = 0;

  constructor(
    private readonly options: BuildOptions,
    private readonly workspace: Workspace,
    private readonly resources: RunResources,
  ) {
    this.store = options.registry.store;
    this.snapshots = new SnapshotStore(options.root);
    this.cache = new StepCache(options.root, this.store);
    this.digests = new ContextDigests(options.root);
    this.trails = new KeyTrails(options.root);
    this.signal = options.signal ? AbortSignal.any([options.signal, this.failed.signal]) : this.failed.signal;
    this.images = new ImageSource({
      store: this.store,
      images: options.registry.images,
      registry: options.registry,
      ...(options.pull ? { pull: true } : {}),
      onPulled: (ref, digest) => this.emit({ type: 'image-pulled', ref, digest, time: Date.now() }),
    });
  }

  async run(): Promise<BuildResult> {
    const o = this.options;
    const plan = await createPlan({
      dockerfile: o.dockerfile,
      file: o.file,
      context: o.contextDir,
      ...(o.target === undefined ? {} : { target: o.target }),
      ...(o.buildArgs ? { buildArgs: o.buildArgs } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
      resolveImage: async (ref, platform) => baseConfig((await this.images.get(ref, platform)).config),
    });
    this.platform = plan.platform;
    this.targetChain = targetChain(plan);
    for (const source of o.cacheFrom ?? []) this.imported.push(await ImportedCache.open(source, o.registry));
    await this.buildStages(plan.stages);
    await this.digests.save();
    const final = withLabels(this.results.get(plan.target)!, o.labels);
    // Nothing local to clean up while compressing, streaming layers up or exporting: an interrupt ends it at once.
    const finalized = finalizeImage(this.store, final, {
      format: o.format ?? 'oci',
      compression: this.layerCompression(),
      ...(o.streamLayersTo ? { alsoTo: o.streamLayersTo } : {}),
      created: this.timeOf(final),
    });
    const image = await unlessAborted(finalized, o.signal);
    if (o.cacheTo) await unlessAborted(exportCache(this.store, this.exportedRecords(o.cacheTo.mode), o.cacheTo, o.registry), o.signal);
    return { plan, image: image.written, config: image.config, cachedSteps: this.cachedSteps, executedSteps: this.executedSteps };
  }

  /** mode=min: the steps of the target and of the stages it is built FROM; max: every stage's. */
  private exportedRecords(mode: 'min' | 'max'): Array<{ key: string; record: CachedStep }> {
    return this.used.filter((u) => mode === 'max' || this.targetChain.has(u.stage));
  }

  /**
   * Each stage starts when the stages it needs are done, up to one per core at a time. The first
   * failure stops the others (their containers are killed) before it is reported.
   */
  private async buildStages(stages: Stage[]): Promise<void> {
    const limit = pLimit(Math.max(1, availableParallelism()));
    const running = new Map<number, Promise<void>>();
    for (const stage of stages) {
      const needs = stage.dependsOn.map((index) => running.get(index)).filter((p) => p !== undefined);
      running.set(stage.index, Promise.all(needs).then(() => limit(async () => {
        this.signal.throwIfAborted();
        this.results.set(stage.index, await this.buildStage(stage, stages.length > 1));
      })));
    }
    const outcomes = await Promise.allSettled([...running.values()].map((p) => p.catch((error: unknown) => {
      this.failed.abort(error);
      throw error;
    })));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw this.options.signal?.aborted ? this.options.signal.reason : (this.failed.signal.reason ?? failure.reason);
  }

  private emit(event: Parameters<BuildEventSink>[0]): void {
    this.options.onEvent?.(event);
  }

  private now(): string {
    const epoch = this.options.sourceDateEpoch;
    return new Date(epoch === undefined ? Date.now() : epoch * 1000).toISOString();
  }

  /** Metadata steps take the time of the newest layer, so they do not change an unchanged image. */
  private timeOf(state: ImageState): string {
    if (this.options.sourceDateEpoch !== undefined) return this.now();
    return state.created ?? state.config.created ?? new Date(0).toISOString();
  }

  private async buildStage(stage: Stage, multiStage: boolean): Promise<ImageState> {
    // BuildKit's step names: `[build 2/5]`, `[stage-1 2/5]`, or `[2/5]` in a one-stage build.
    const label = stage.name ?? (multiStage ? `stage-${stage.index}` : '');
    if (stage.name) this.stageNames.set(stage.index, stage.name);
    let state = await this.stageBase(stage);
    this.baseChains.set(String(stage.index), chainIds(state.layers.map((l) => l.diffId)).at(-1) ?? 'scratch');
    const context: ConfigContext = { cmdSetInStage: false, shell: state.config.config?.Shell?.length ? state.config.config.Shell : DEFAULT_SHELL };
    for (const [i, step] of stage.steps.entries()) {
      this.signal.throwIfAborted();
      const name = `[${label ? `${label} ` : ''}${i + 2}/${stage.steps.length + 1}] ${firstLine(step.original)}`;
      state = await this.runStep(step, name, state, context);
    }
    return state;
  }

  private async stageBase(stage: Stage): Promise<ImageState> {
    const base = stage.base;
    if (base.kind === 'stage') return cloneState(this.results.get(base.index)!);
    if (base.kind === 'scratch') return { layers: [], config: scratchConfig(this.stagePlatform(stage)) };
    const image = cloneState(await this.images.get(base.ref, this.stagePlatform(stage)));
    // ONBUILD triggers ran as this stage's first steps; the new image does not inherit them.
    if (image.config.config?.OnBuild) image.config.config = { ...image.config.config, OnBuild: null };
    return image;
  }

  private stagePlatform(stage: Stage): Platform {
    if (!stage.platform) return this.platform;
    const [os, architecture, variant] = stage.platform.split('/');
    return os && architecture ? { os, architecture, ...(variant ? { variant } : {}) } : this.platform;
  }

  private async runStep(step: Step, name: string, state: ImageState, context: ConfigContext): Promise<ImageState> {
    const started = Date.now();
    const i = step.instruction;
    if (i.kind !== 'RUN' && i.kind !== 'COPY' && i.kind !== 'ADD' && i.kind !== 'WORKDIR') {
      if (i.kind === 'ARG') return state;
      const config = applyMetadata(state.config, i, context);
      return { ...state, config: this.withHistory(config, step, context, false, this.timeOf(state)) };
    }
    this.emit({ type: 'step-started', step: step.id, name, location: step.location, time: started });
    try {
      const { layer, cached, created, key } = await this.filesystemStep(step, state);
      if (cached) this.cachedSteps++;
      else this.executedSteps++;
      const layers = layer ? [...state.layers, layer] : state.layers;
      let config = state.config;
      if (i.kind === 'WORKDIR') config = applyMetadata(config, { kind: 'WORKDIR', path: workdirOf(step) }, context);
      config = this.withHistory(config, step, context, layer !== undefined, created);
      const done = Date.now();
      if (cached) this.emit({ type: 'step-cached', step: step.id, name, key, time: done });
      else this.emit({ type: 'step-done', step: step.id, name, seconds: (done - started) / 1000, ...(layer ? { layerBytes: layer.blob.size } : {}), time: done });
      return { layers, config, created };
    } catch (error) {
      const located = error instanceof TsbuildError && !error.location
        ? new TsbuildError(error.code, error.message, { location: step.location, kind: error.kind, detail: error.detail, cause: error })
        : error;
      if (located instanceof TsbuildError) {
        this.emit({ type: 'step-error', step: step.id, name, message: located.message, location: located.location ?? step.location, time: Date.now() });
      }
      throw located;
    }
  }

  private withHistory(config: ImageConfig, step: Step, context: ConfigContext, hasLayer: boolean, created: string): ImageConfig {
    const entry = {
      created,
      created_by: createdBy(step, context.shell),
      comment: historyComment(step.location),
      ...(hasLayer ? {} : { empty_layer: true }),
    };
    return { ...config, history: [...(config.history ?? []), entry] };
  }

  /** A step that changes files: from the cache when its key is known, else run on a fresh upper. */
  private async filesystemStep(step: Step, state: ImageState): Promise<{ layer?: ChainLayer; cached: boolean; created: string; key: string }> {
    const parent = chainIds(state.layers.map((l) => l.diffId)).at(-1) ?? 'scratch';
    const inputs = await this.stepInputs(step);
    const key = stepCacheKey({
      parentChainId: parent,
      platform: formatPlatform(this.platform),
      instruction: step.instruction,
      state: keyState(step),
      inputs: inputs.key,
    });
    const identity = `${path.resolve(this.options.contextDir)}\0${this.options.file}\0${step.id}`;
    // The trail says why a later build missed; one with this very key needs no rewrite.
    const trailIsCurrent = (await this.trails.lastKey(identity)) === key;
    let previous: KeyTrail | undefined;
    let trail: KeyTrail | undefined;
    if (!trailIsCurrent) {
      previous = await this.trails.get(identity);
      trail = keyTrail(parent, step, inputs.byName());
      await this.trails.put(identity, key, trail);
    }
    const stage = Number(step.id.split('/')[0]);
    const noCache = this.noCacheFor(stage);
    if (!noCache) {
      const hit = (await this.cache.get(key)) ?? (await this.fromImported(key));
      if (hit) {
        this.used.push({ stage, key, record: hit });
        return { ...(hit.diffId ? { layer: builtLayer(hit) } : {}), cached: true, created: this.stepTime(hit), key };
      }
    }
    const fromBase = this.baseChains.get(String(stage)) === parent;
    const reason = noCache ? '--no-cache' : trail ? explainMiss(previous, trail, fromBase ? 'base' : 'step') : 'its cached result is gone';
    this.emit({ type: 'step-miss', step: step.id, reason, key, time: Date.now() });
    const root = await this.workspace.mount(this.snapshots, this.layerSources(state.layers));
    const sources: MountedRoot[] = [];
    let record: CachedStep;
    try {
      await this.execute(step, root, sources);
      record = await this.commit(root, state, stage);
    } finally {
      await root.release({ keepUpper: false });
      for (const mount of sources) await mount.release();
    }
    await this.cache.put(key, record);
    this.used.push({ stage, key, record });
    return { ...(record.diffId ? { layer: builtLayer(record) } : {}), cached: false, created: this.stepTime(record), key };
  }

  private noCacheFor(stage: number): boolean {
    if (this.options.noCache) return true;
    const filter = this.options.noCacheStages ?? [];
    const name = this.stageNames.get(stage);
    return filter.includes(String(stage)) || (name !== undefined && filter.includes(name));
  }

  /** A step result from a `--cache-from` source, its layer fetched only now that it is needed. */
  private async fromImported(key: string): Promise<CachedStep | undefined> {
    for (const source of this.imported) {
      const record = await source.take(key, this.store, this.cache);
      if (record) return record;
    }
    return undefined;
  }

  /** Writes the upper directory as a layer and keeps it as the snapshot of the new chain. */
  private stepTime(record: CachedStep): string {
    return this.options.sourceDateEpoch === undefined ? record.created : this.now();
  }

  private async commit(root: MountedRoot, state: ImageState, stage: number): Promise<CachedStep> {
    const created = this.now();
    if (readdirSync(root.upper).length === 0) return { size: 0, created };
    const epoch = this.options.sourceDateEpoch;
    const compress = this.compressWhileWriting(stage);
    const layer = await writeLayer(root.upper, this.store, { ...(epoch === undefined ? {} : { sourceDateEpoch: epoch }), ...(compress ? { compress } : {}) });
    const chain = chainIds([...state.layers.map((l) => l.diffId), layer.diffId]).at(-1)!;
    await root.release({ keepUpper: true });
    await this.snapshots.adopt(chain, root.upper);
    return { diffId: layer.diffId, size: layer.uncompressedSize, created };
  }

  /**
   * A layer of the image that is pushed or exported is compressed as it is written (and, with
   * streamLayersTo, uploaded as it is compressed) instead of read back for it at the end.
   */
  private compressWhileWriting(stage: number): CompressOptions | undefined {
    const compression = this.layerCompression();
    if (compression === false || !this.targetChain.has(stage)) return undefined;
    return { ...compression, ...(this.options.streamLayersTo ? { alsoTo: this.options.streamLayersTo } : {}) };
  }

  /** How this build's layers go into the image (see BuildOptions.compression). */
  private layerCompression(): LayerCompression | false {
    return this.options.compression ?? GZIP;
  }

  private async execute(step: Step, root: MountedRoot, sources: MountedRoot[]): Promise<void> {
    const i = step.instruction;
    const signal = this.signal;
    switch (i.kind) {
      case 'RUN': {
        const extra = await containerMounts(step, i.mounts, {
          contextDir: this.buildContext().root,
          rootOf: (mount) => this.mountedSource(mount.from!, sources),
          secrets: this.options.secrets ?? {},
          sshSockets: this.options.sshSockets ?? {},
          writableCopy: (hostPath) => this.resources.writableCopy(hostPath, sources),
          secretFile: (id, content, mode, uid, gid) => this.resources.secretFile(id, content, mode, uid, gid),
          cacheDir: (id) => cacheMountDir(this.options.root, id),
          privateDir: () => this.workspace.tempDir(),
        });
        const run = () =>
          runCommand(step, root, extra, {
            stateRoot: runsRoot(this.options.root),
            ...(this.options.network ? { network: this.options.network } : {}),
            ...(this.options.runtime ? { runtime: this.options.runtime } : {}),
            ...(this.options.extraHosts ? { extraHosts: this.options.extraHosts } : {}),
            ...(signal ? { signal } : {}),
            onOutput: (line, stream) => this.emit({ type: 'step-log', step: step.id, stream, line, time: Date.now() }),
          });
        try {
          // sharing=locked: one RUN at a time uses the cache directory, across builds.
          await extra.locks.reduce<() => Promise<void>>((inner, lock) => () => withFileLock(lock, inner, 24 * 3600 * 1000), run)();
        } finally {
          for (const lock of extra.held) rmSync(lock, { force: true });
        }
        return;
      }
      case 'COPY':
      case 'ADD':
        await copyInto({
          instruction: i,
          source: await this.copySource(i, sources),
          destRoot: root.merged,
          workdir: step.state.workdir,
          location: step.location,
          ...(signal ? { signal } : {}),
        });
        return;
      case 'WORKDIR':
        ensureWorkdir(root.merged, workdirOf(step), workdirOwner(root.merged, step.state.user));
        return;
      default:
        return;
    }
  }

  /**
   * What besides the parent and the instruction decides a step's result: for the key, and by
   * name (context path, source stage) so that a miss can name what changed (made only when the
   * step's trail is rewritten: for a COPY of a large context it is big).
   */
  private async stepInputs(step: Step): Promise<{ key: unknown; byName: () => Record<string, string> }> {
    const i = step.instruction;
    if (i.kind === 'RUN') {
      const chains = await Promise.all(i.mounts.map((m) => (m.from ? this.sourceChain(m.from) : null)));
      return { key: chains, byName: () => Object.fromEntries(chains.flatMap((c, n) => (c ? [[`mount source ${n + 1}`, c]] : []))) };
    }
    if (i.kind !== 'COPY' && i.kind !== 'ADD') return { key: null, byName: () => ({}) };
    if (i.from) {
      const chain = await this.sourceChain(i.from);
      return { key: chain, byName: () => ({ [`--from=${describeSource(i.from!)}`]: chain }) };
    }
    // --chown names are resolved against the parent's /etc/passwd, which the parent chainID covers.
    const { chown: _chown, ...withoutChown } = i;
    const inputs = await sourceInputs({
      instruction: withoutChown,
      source: { kind: 'context', context: this.buildContext() },
      destRoot: '/nonexistent',
      workdir: step.state.workdir,
      location: step.location,
      memo: await this.digests.load(),
    });
    return { key: inputs.digest, byName: () => Object.fromEntries(inputs.inputs.map((input) => [`file ${input.path}`, input.fingerprint])) };
  }

  private async sourceChain(ref: SourceRef): Promise<string> {
    const state = await this.sourceState(ref);
    return chainIds(state.layers.map((l) => l.diffId)).at(-1) ?? 'scratch';
  }

  private async sourceState(ref: SourceRef): Promise<ImageState> {
    switch (ref.kind) {
      case 'stage':
        return this.results.get(ref.index)!;
      case 'image':
        return this.images.get(ref.ref, this.platform);
      case 'scratch':
        return { layers: [], config: scratchConfig(this.platform) };
      case 'context':
        throw new TsbuildError('INTERNAL', 'the context is not an image');
    }
  }

  private async copySource(i: CopyInstruction, sources: MountedRoot[]): Promise<CopySource> {
    if (!i.from || i.from.kind === 'context') return { kind: 'context', context: this.buildContext() };
    return { kind: 'root', root: await this.mountedSource(i.from, sources) };
  }

  /** Mounts a stage's or image's file system (writes go to a throwaway upper) for the step. */
  private async mountedSource(ref: SourceRef, sources: MountedRoot[]): Promise<string> {
    const state = await this.sourceState(ref);
    const root = await this.workspace.mount(this.snapshots, this.layerSources(state.layers));
    sources.push(root);
    return root.merged;
  }

  private layerSources(layers: ChainLayer[]): LayerSource[] {
    return layers.map((layer) => ({ diffId: layer.diffId, open: () => this.store.createReadStream(layer.blob.digest) }));
  }

  private buildContext(): BuildContext {
    this.context ??= openContext(this.options.contextDir, { dockerfilePath: this.options.dockerfilePath });
    return this.context;
  }
}

/** The target stage and the stages it is built FROM, down to the first that starts from an image. */
function targetChain(plan: Plan): Set<number> {
  const chain = new Set<number>();
  for (let index: number | undefined = plan.target; index !== undefined; ) {
    chain.add(index);
    const base = plan.stages.find((s) => s.index === index)?.base;
    index = base?.kind === 'stage' ? base.index : undefined;
  }
  return chain;
}

/** `work`, or the signal's reason as soon as it aborts (the work itself runs on unwatched). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function withLabels(state: ImageState, labels: Record<string, string> | undefined): ImageState {
  if (!labels || Object.keys(labels).length === 0) return state;
  const config = state.config.config ?? {};
  return { ...state, config: { ...state.config, config: { ...config, Labels: { ...(config.Labels ?? {}), ...labels } } } };
}

function keyTrail(parent: string, step: Step, inputs: Record<string, string>): KeyTrail {
  const hashed = (pairs: Array<[string, string]>) => Object.fromEntries(pairs.map(([k, v]) => [k, hashOf(v)]));
  const run = step.instruction.kind === 'RUN';
  const { workdir, user, shell } = step.state;
  return {
    parent,
    instruction: hashOf(step.instruction),
    // Only what the key holds, so a miss is never blamed on a variable the step cannot see.
    env: run ? hashed(step.state.env) : {},
    args: run ? hashed(step.state.args) : {},
    place: hashOf(run ? [workdir, user, shell] : keyState(step)),
    inputs,
  };
}

/**
 * Who owns the directories WORKDIR creates: BuildKit makes them with its file-op user rules, in
 * which a bare numeric uid also gives the gid (as `COPY --chown=1000` does); a name takes the
 * user's passwd entry, as for RUN.
 */
function workdirOwner(rootfs: string, user: string): { uid: number; gid: number } {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
  return resolveUser(rootfs, user);
}

/**
 * The part of a step's state its result depends on: a RUN sees all of it (ENV, ARGs, WORKDIR,
 * USER, SHELL); COPY/ADD only the WORKDIR a relative destination resolves against; WORKDIR the
 * USER that owns what it creates. So a build arg changes only the steps that can see it.
 */
function keyState(step: Step): unknown {
  const { workdir, user } = step.state;
  switch (step.instruction.kind) {
    case 'RUN':
      return step.state;
    case 'WORKDIR':
      return { user };
    default:
      return { workdir };
  }
}

function describeSource(ref: SourceRef): string {
  return ref.kind === 'stage' ? `stage ${ref.index}` : ref.kind === 'image' ? ref.ref : ref.kind;
}

function builtLayer(record: CachedStep): ChainLayer {
  return { diffId: record.diffId!, blob: { mediaType: MediaTypes.ociLayer, digest: record.diffId!, size: record.size } };
}

function workdirOf(step: Step): string {
  const i = step.instruction;
  return i.kind === 'WORKDIR' ? path.posix.resolve(step.state.workdir, i.path) : step.state.workdir;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function cloneState(state: ImageState): ImageState {
  return { ...state, layers: [...state.layers], config: structuredClone(state.config) };
}

function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [`PATH=${DEFAULT_PATH}`] },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

function baseConfig(config: ImageConfig) {
  const c = config.config ?? {};
  return {
    ...(c.Env ? { env: c.Env } : {}),
    ...(c.WorkingDir ? { workdir: c.WorkingDir } : {}),
    ...(c.User ? { user: c.User } : {}),
    ...(c.Shell ? { shell: c.Shell } : {}),
    ...(c.OnBuild ? { onbuild: c.OnBuild } : {}),
  };
}

