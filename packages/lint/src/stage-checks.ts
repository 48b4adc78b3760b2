import { DEFAULT_PATH, expandWord, hostPlatform, type BaseImageConfig, type Platform, type RawInstruction } from '@tsbuild/frontend';

import { suggestName } from './buildkit-names.js';

export interface LintStage {
  from: RawInstruction;
  /** Lower-cased stage name. */
  name?: string;
  body: RawInstruction[];
}

/**
 * A base image's config when it is known locally: its ENV names feed UndefinedVar, its SHELL
 * JSONArgsRecommended, its platform InvalidBaseImagePlatform.
 */
export type BaseImageLookup = (ref: string, platform: Platform) => Promise<(BaseImageConfig & { platform?: Platform }) | undefined>;

export type StageReport = (rule: string, raw: RawInstruction, message: string) => void;

/** What a stage hands to a stage built FROM it, as BuildKit's dispatchState.init copies it. */
interface StageState {
  /** ENV names and values; undefined when the base image's config is not known. */
  env: Map<string, string> | undefined;
  /** ARG names declared in the stage (BuildKit's d.buildArgs): never "undefined". */
  args: Set<string>;
  shell: boolean;
  workdirSet: boolean;
}

/** BuildKit expands the words of these instructions before dispatch, and reports UndefinedVar there. */
const EXPANDED = new Set(['ADD', 'COPY', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
/** BuildKit's nonEnvArgs: never reported. */
const NON_ENV_ARGS = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

/**
 * BuildKit's per-stage checks, stage by stage with what each stage inherits from a parent stage:
 * JSONArgsRecommended (not when a SHELL is set), MultipleInstructionsDisallowed (reported on the
 * earlier instruction), WorkdirRelativePath (the first WORKDIR of a stage chain only) and UndefinedVar.
 */
export async function checkStageBodies(stages: LintStage[], escape: '\\' | '`', lookupBase: BaseImageLookup | undefined, report: StageReport): Promise<void> {
  const ends: StageState[] = [];
  for (const [index, stage] of stages.entries()) {
    const state = await initialState(stage, stages.slice(0, index), ends, lookupBase, report);
    checkBody(stage, state, escape, report);
    ends.push(state);
  }
}

async function initialState(stage: LintStage, earlier: LintStage[], ends: StageState[], lookupBase: BaseImageLookup | undefined, report: StageReport): Promise<StageState> {
  const image = stage.from.args[0] ?? '';
  const parent = earlier.findIndex((s) => s.name !== undefined && s.name === image.toLowerCase());
  if (parent >= 0) {
    const end = ends[parent]!;
    return { env: end.env && new Map(end.env), args: new Set(end.args), shell: end.shell, workdirSet: end.workdirSet };
  }
  if (image.toLowerCase() === 'scratch') return { env: new Map([['PATH', DEFAULT_PATH]]), args: new Set(), shell: false, workdirSet: false };
  const expected = expectedPlatform(stage.from);
  const config = image.includes('$') || !lookupBase || !expected ? undefined : await lookupBase(image, expected);
  if (!config) return { env: undefined, args: new Set(), shell: false, workdirSet: false };
  if (config.platform && expected && (config.platform.os !== expected.os || config.platform.architecture !== expected.architecture)) {
    report('InvalidBaseImagePlatform', stage.from, `Base image ${image} was pulled with platform ${JSON.stringify(formatPlatform(config.platform))}, expected ${JSON.stringify(formatPlatform(expected))} for current build`);
  }
  const env = new Map((config.env ?? []).map((e) => [e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)] as [string, string]));
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return { env, args: new Set(), shell: (config.shell ?? []).length > 0, workdirSet: false };
}

/** The platform a FROM asks for: its constant --platform, or the host's; undefined when a variable decides. */
function expectedPlatform(from: RawInstruction): Platform | undefined {
  const flag = from.flags.find((f) => f.startsWith('--platform='))?.slice('--platform='.length);
  if (flag === undefined) return hostPlatform();
  if (flag.includes('$')) return undefined;
  const [os = '', architecture = '', variant] = flag.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function checkBody(stage: LintStage, state: StageState, escape: '\\' | '`', report: StageReport): void {
  const once = new Map<string, RawInstruction>();
  for (const raw of stage.body) {
    const lookups = EXPANDED.has(raw.keyword) ? expandedWords(raw).map((word) => expand(word, state, escape)) : [];
    if (state.env !== undefined) reportUndefined(raw, lookups, state, report);
    switch (raw.keyword) {
      case 'ARG':
        for (const word of raw.args) state.args.add(word.split('=')[0]!);
        break;
      case 'ENV':
        for (let i = 0; i + 1 < raw.args.length; i += 3) state.env?.set(raw.args[i]!, lookups[(i / 3) * 2 + 1]?.result ?? '');
        break;
      case 'SHELL':
        state.shell = raw.args.length > 0;
        break;
      case 'CMD':
      case 'ENTRYPOINT':
      case 'HEALTHCHECK': {
        const previous = once.get(raw.keyword);
        if (previous) report('MultipleInstructionsDisallowed', previous, `Multiple ${raw.writtenKeyword} instructions should not be used in the same stage because only the last one will be used`);
        once.set(raw.keyword, raw);
        if (raw.keyword !== 'HEALTHCHECK' && !raw.json && !state.shell) {
          report('JSONArgsRecommended', raw, `JSON arguments recommended for ${raw.writtenKeyword} to prevent unintended behavior related to OS signals`);
        }
        break;
      }
      case 'WORKDIR': {
        const path = lookups[0];
        // A path whose variables the base image may set is given the benefit of the doubt.
        const known = path !== undefined && path.unknown.size === 0;
        if (!state.workdirSet && known && !path.result.startsWith('/')) {
          report('WorkdirRelativePath', raw, `Relative workdir ${JSON.stringify(path.result)} can have unexpected results if the base image changes`);
        }
        state.workdirSet = true;
        break;
      }
      default:
        break;
    }
  }
}

/** The words BuildKit expands: ENV/LABEL keys and values (not the separators), all others' arguments. */
function expandedWords(raw: RawInstruction): string[] {
  if (raw.keyword !== 'ENV' && raw.keyword !== 'LABEL') return raw.args;
  const words: string[] = [];
  for (let i = 0; i + 1 < raw.args.length; i += 3) words.push(raw.args[i]!, raw.args[i + 1]!);
  return words;
}

interface Expansion {
  result: string;
  /** Variables neither the stage's ENV nor its ARGs define. */
  undefined: Set<string>;
  /** Variables we cannot judge because the base image's ENV is not known. */
  unknown: Set<string>;
}

function expand(word: string, state: StageState, escape: '\\' | '`'): Expansion {
  const undefinedNames = new Set<string>();
  const unknown = new Set<string>();
  const lookup = (name: string): string | undefined => {
    if (state.env?.has(name)) return state.env.get(name);
    if (state.args.has(name)) return '';
    if (state.env === undefined) unknown.add(name);
    else if (!NON_ENV_ARGS.has(name)) undefinedNames.add(name);
    return undefined;
  };
  try {
    return { result: expandWord(word, lookup, { escape }), undefined: undefinedNames, unknown };
  } catch {
    return { result: word, undefined: new Set(), unknown: new Set(['?']) };
  }
}

function reportUndefined(raw: RawInstruction, lookups: Expansion[], state: StageState, report: StageReport): void {
  const names = new Set(lookups.flatMap((l) => [...l.undefined]));
  const options = [...(state.env?.keys() ?? []), ...state.args];
  for (const name of [...names].sort()) {
    const suggestion = suggestName(name, options);
    report('UndefinedVar', raw, `Usage of undefined variable '$${name}'${suggestion ? ` (did you mean $${suggestion}?)` : ''}`);
  }
}
