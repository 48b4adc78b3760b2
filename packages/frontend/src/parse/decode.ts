import { TsbuildError } from '@tsbuild/errors';

import type { Heredoc, RawInstruction } from '../ast.js';
import type { CommandLine, HealthcheckSpec, Instruction } from '../instructions.js';
import { parseGoDuration } from './duration.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import { parseMount } from './mounts.js';

export interface DecodeOptions {
  file: string;
  escape: '\\' | '`';
  /** BuildKit's ProcessWord: quotes removed, variables expanded. */
  expand: (word: string) => string;
  /** BuildKit's ProcessWords: as expand, with word splitting. */
  expandWords: (word: string) => string[];
  /** Expands a heredoc body (quotes are not special there); identity when not given. */
  expandHeredoc?: (body: string) => string;
}

/**
 * The typed instruction for a raw one, with words expanded where BuildKit expands them (ADD COPY
 * ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ARG and the flags of FROM/COPY/ADD/RUN
 * --mount); RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK are left to the shell. Errors carry no
 * location; the caller adds the instruction's.
 */
export function decodeInstruction(raw: RawInstruction, options: DecodeOptions): Instruction {
  const flags = parseFlags(raw.keyword, raw.flags);
  const decoder = DECODERS[raw.keyword];
  if (!decoder) throw new TsbuildError('UNKNOWN_INSTRUCTION', `unknown instruction: ${raw.writtenKeyword}`);
  return decoder(raw, flags, options);
}

type Decoder = (raw: RawInstruction, flags: ParsedFlags, options: DecodeOptions) => Instruction;

const DECODERS: Record<string, Decoder> = {
  FROM: (raw, flags, o) => {
    const args = raw.args;
    if (args.length !== 1 && !(args.length === 3 && args[1]!.toLowerCase() === 'as')) {
      throw new TsbuildError('MISSING_VALUE', 'FROM requires either one or three arguments');
    }
    const platform = flags.string('platform');
    return {
      kind: 'FROM',
      image: o.expand(args[0]!),
      ...(args[2] === undefined ? {} : { stageName: args[2] }),
      ...(platform === undefined ? {} : { platform: o.expand(platform) }),
    };
  },
  RUN: (raw, flags, o) => {
    if (raw.args.length === 0 && !raw.json) throw atLeastOne('RUN');
    const network = flags.string('network');
    if (network !== undefined && !['default', 'none', 'host'].includes(network)) {
      throw new TsbuildError('BAD_FLAG_VALUE', `unsupported network mode "${network}" (use default, none or host)`);
    }
    const security = flags.string('security');
    if (security !== undefined && !['sandbox', 'insecure'].includes(security)) {
      throw new TsbuildError('BAD_FLAG_VALUE', `unsupported security mode "${security}" (use sandbox or insecure)`);
    }
    return {
      kind: 'RUN',
      command: commandLine(raw),
      heredocs: raw.heredocs.map((h) => chomped(h)),
      mounts: flags.multi('mount').map((spec) => parseMount(o.expand(spec))),
      ...(network === undefined ? {} : { network: network as 'default' | 'none' | 'host' }),
      ...(security === undefined ? {} : { security: security as 'sandbox' | 'insecure' }),
    };
  },
  COPY: (raw, flags, o) => copyOrAdd(raw, flags, o),
  ADD: (raw, flags, o) => copyOrAdd(raw, flags, o),
  ENV: (raw, _flags, o) => keyValues('ENV', raw, o),
  LABEL: (raw, _flags, o) => keyValues('LABEL', raw, o),
  ARG: (raw, _flags, o) => {
    if (raw.args.length === 0) throw atLeastOne('ARG');
    return {
      kind: 'ARG',
      args: raw.args.map((word) => {
        const eq = word.indexOf('=');
        if (eq === 0) throw new TsbuildError('MISSING_VALUE', 'ARG names can not be blank');
        return eq < 0 ? { name: word } : { name: word.slice(0, eq), default: o.expand(word.slice(eq + 1)) };
      }),
    };
  },
  WORKDIR: (raw, _flags, o) => ({ kind: 'WORKDIR', path: exactlyOne('WORKDIR', raw, o) }),
  USER: (raw, _flags, o) => ({ kind: 'USER', user: exactlyOne('USER', raw, o) }),
  STOPSIGNAL: (raw, _flags, o) => ({ kind: 'STOPSIGNAL', signal: exactlyOne('STOPSIGNAL', raw, o) }),
  MAINTAINER: (raw) => {
    if (raw.args.length === 0) throw new TsbuildError('MISSING_VALUE', 'MAINTAINER requires exactly one argument');
    return { kind: 'MAINTAINER', maintainer: raw.args[0]! };
  },
  EXPOSE: (raw, _flags, o) => {
    if (raw.args.length === 0) throw atLeastOne('EXPOSE');
    return { kind: 'EXPOSE', ports: raw.args.flatMap((arg) => o.expandWords(arg)).flatMap(exposedPorts) };
  },
  VOLUME: (raw, _flags, o) => {
    if (raw.args.length === 0) throw atLeastOne('VOLUME');
    const paths = raw.args.map((arg) => o.expand(arg));
    if (paths.some((p) => p.trim() === '')) throw new TsbuildError('MISSING_VALUE', 'VOLUME specified can not be an empty string');
    return { kind: 'VOLUME', paths };
  },
  SHELL: (raw) => {
    if (!raw.json) throw new TsbuildError('INVALID_INSTRUCTION', 'SHELL requires the arguments to be in JSON form');
    if (raw.args.length === 0) throw atLeastOne('SHELL');
    return { kind: 'SHELL', shell: raw.args };
  },
  CMD: (raw) => ({ kind: 'CMD', command: commandLine(raw) }),
  ENTRYPOINT: (raw) => ({ kind: 'ENTRYPOINT', command: commandLine(raw) }),
  HEALTHCHECK: (raw, flags) => ({ kind: 'HEALTHCHECK', healthcheck: healthcheck(raw, flags) }),
  ONBUILD: (raw) => {
    const inner = raw.onbuild;
    if (!inner) throw atLeastOne('ONBUILD');
    if (inner.keyword === 'ONBUILD') throw new TsbuildError('INVALID_INSTRUCTION', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    if (inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER') {
      throw new TsbuildError('INVALID_INSTRUCTION', `${inner.keyword} isn't allowed as an ONBUILD trigger`);
    }
    return { kind: 'ONBUILD', trigger: inner.original.trim() };
  },
};

function atLeastOne(keyword: string): TsbuildError {
  return new TsbuildError('MISSING_VALUE', `${keyword} requires at least one argument`);
}

function exactlyOne(keyword: string, raw: RawInstruction, o: DecodeOptions): string {
  if (raw.args.length !== 1) throw new TsbuildError('MISSING_VALUE', `${keyword} requires exactly one argument`);
  return o.expand(raw.args[0]!);
}

function commandLine(raw: RawInstruction): CommandLine {
  return raw.json ? { form: 'exec', argv: raw.args } : { form: 'shell', script: raw.args[0] ?? '' };
}

/** `<<-` bodies lose their leading tabs (already stripped by the parser; kept idempotent). */
function chomped(heredoc: Heredoc): Heredoc {
  return heredoc.chomp ? { ...heredoc, content: heredoc.content.replace(/^\t+/gm, '') } : heredoc;
}

function copyOrAdd(raw: RawInstruction, flags: ParsedFlags, o: DecodeOptions): Instruction {
  const kind = raw.keyword as 'COPY' | 'ADD';
  const heredocNames = new Set(raw.heredocs.map((h) => h.name));
  const words = raw.args.filter((arg) => !isHeredocWord(arg, heredocNames));
  if (words.length < 1 || words.length + raw.heredocs.length < 2) {
    throw new TsbuildError('MISSING_VALUE', `${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const expandFlag = (name: string) => {
    const value = flags.string(name);
    return value === undefined ? undefined : o.expand(value);
  };
  const from = expandFlag('from');
  const chown = expandFlag('chown');
  const chmod = expandFlag('chmod');
  const checksum = expandFlag('checksum');
  const expandHeredoc = o.expandHeredoc ?? ((body: string) => body);
  return {
    kind,
    sources: words.slice(0, -1).map((w) => o.expand(w)),
    dest: o.expand(words[words.length - 1]!),
    heredocs: raw.heredocs.map((h) => {
      const body = chomped(h);
      return h.expand ? { ...body, content: expandHeredoc(body.content) } : body;
    }),
    ...(from === undefined ? {} : { from: { kind: 'image' as const, ref: from } }),
    ...(chown === undefined ? {} : { chown }),
    ...(chmod === undefined ? {} : { chmod }),
    link: flags.bool('link') ?? false,
    parents: flags.bool('parents') ?? false,
    exclude: flags.multi('exclude').map((e) => o.expand(e)),
    ...(checksum === undefined ? {} : { checksum }),
    ...(flags.bool('keep-git-dir') === undefined ? {} : { keepGitDir: flags.bool('keep-git-dir')! }),
    ...(flags.bool('unpack') === undefined ? {} : { unpack: flags.bool('unpack')! }),
  };
}

function isHeredocWord(word: string, names: Set<string>): boolean {
  const match = /^\d*<<-?(.*)$/.exec(word);
  return match !== null && names.has(match[1]!.replace(/["']/g, ''));
}

function keyValues(kind: 'ENV' | 'LABEL', raw: RawInstruction, o: DecodeOptions): Instruction {
  if (raw.args.length === 0) throw atLeastOne(kind);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 2 < raw.args.length + 1; i += 3) {
    const key = o.expand(raw.args[i]!);
    if (key === '') throw new TsbuildError('MISSING_VALUE', `${kind} names can not be blank`);
    pairs.push([key, o.expand(raw.args[i + 1] ?? '')]);
  }
  return { kind, pairs };
}

/** EXPOSE `80`, `80/UDP`, `8000-8002/tcp` → `80/tcp`, `80/udp`, `8000/tcp` … (as Docker's nat package). */
function exposedPorts(word: string): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(word);
  if (!match) throw new TsbuildError('BAD_FLAG_VALUE', `invalid port "${word}" in EXPOSE (use PORT[/PROTO] or FROM-TO[/PROTO])`);
  const proto = (match[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new TsbuildError('BAD_FLAG_VALUE', `invalid protocol "${match[3]}" in EXPOSE ${word}`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first > 65535 || last > 65535 || last < first) throw new TsbuildError('BAD_FLAG_VALUE', `invalid port range "${word}" in EXPOSE`);
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}

const DURATION_FLAGS = [
  ['interval', 'interval'],
  ['timeout', 'timeout'],
  ['start-period', 'startPeriod'],
  ['start-interval', 'startInterval'],
] as const;

function healthcheck(raw: RawInstruction, flags: ParsedFlags): HealthcheckSpec {
  const [type, ...rest] = raw.args;
  if (type === undefined) throw new TsbuildError('MISSING_VALUE', 'HEALTHCHECK requires at least one argument (CMD or NONE)');
  const upper = type.toUpperCase();
  if (upper === 'NONE') {
    if (rest.length > 0) throw new TsbuildError('INVALID_INSTRUCTION', 'HEALTHCHECK NONE takes no arguments');
    if (flags.values.size > 0) throw new TsbuildError('INVALID_INSTRUCTION', 'HEALTHCHECK NONE takes no options');
    return { test: ['NONE'] };
  }
  if (upper !== 'CMD') throw new TsbuildError('INVALID_INSTRUCTION', `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (rest.length === 0) throw new TsbuildError('MISSING_VALUE', 'Missing command after HEALTHCHECK CMD');
  const spec: HealthcheckSpec = { test: raw.json ? ['CMD', ...rest] : ['CMD-SHELL', rest[0]!] };
  for (const [flag, field] of DURATION_FLAGS) {
    const value = flags.string(flag);
    if (value === undefined) continue;
    const ns = parseGoDuration(value, flag);
    if (ns !== 0 && ns < 1e6) throw new TsbuildError('BAD_FLAG_VALUE', `--${flag} cannot be less than 1ms`);
    if (ns < 0) throw new TsbuildError('BAD_FLAG_VALUE', `--${flag} cannot be negative`);
    spec[field] = ns;
  }
  const retries = flags.string('retries');
  if (retries !== undefined) {
    if (!/^-?\d+$/.test(retries)) throw new TsbuildError('BAD_FLAG_VALUE', `invalid --retries "${retries}": must be a whole number`);
    if (Number(retries) < 0) throw new TsbuildError('BAD_FLAG_VALUE', '--retries cannot be negative');
    spec.retries = Number(retries);
  }
  return spec;
}
