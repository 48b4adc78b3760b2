import { TsbuildError } from '@tsbuild/errors';

import type { RunMount } from '../instructions.js';

const TYPES = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);
const KEYS = new Set(['type', 'target', 'dst', 'destination', 'source', 'src', 'from', 'readonly', 'ro', 'rw', 'readwrite', 'id', 'sharing', 'mode', 'uid', 'gid', 'required', 'env', 'size']);

/** `RUN --mount=type=cache,target=/root/.cache,sharing=locked` as BuildKit reads it (values already expanded). */
export function parseMount(spec: string): RunMount {
  const fields = splitCsv(spec);
  let type = 'bind';
  const values = new Map<string, string | undefined>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (!KEYS.has(key)) throw new TsbuildError('BAD_FLAG_VALUE', `unexpected key '${key}' in '${field}' of --mount=${spec}`);
    if (key === 'type') {
      if (!value || !TYPES.has(value)) throw new TsbuildError('BAD_FLAG_VALUE', `unsupported mount type "${value ?? ''}" in --mount=${spec}`);
      type = value;
    } else {
      values.set(key, value);
    }
  }
  const mount: RunMount = { type: type as RunMount['type'] };
  const target = values.get('target') ?? values.get('dst') ?? values.get('destination');
  if (target !== undefined) mount.target = target;
  const source = values.get('source') ?? values.get('src');
  if (source !== undefined) mount.source = source;
  const from = values.get('from');
  if (from !== undefined) mount.from = { kind: 'image', ref: from };
  const readonly = readonlyOf(values, type);
  if (readonly !== undefined) mount.readonly = readonly;
  if (values.has('id')) mount.id = values.get('id')!;
  if (type === 'cache') mount.sharing = sharingOf(values.get('sharing'), spec);
  if (values.has('mode')) mount.mode = octal(values.get('mode'), spec);
  if (values.has('uid')) mount.uid = integer(values.get('uid'), 'uid', spec);
  if (values.has('gid')) mount.gid = integer(values.get('gid'), 'gid', spec);
  if (values.has('required')) mount.required = boolOf(values.get('required'));
  if (values.has('env')) mount.env = values.get('env')!;
  if (values.has('size')) mount.size = integer(values.get('size'), 'size', spec);
  if (type === 'secret' || type === 'ssh') {
    mount.id ??= type === 'ssh' ? 'default' : target ? target.split('/').pop()! : undefined!;
    if (mount.id === undefined) delete mount.id;
    if (type === 'secret' && mount.target === undefined && mount.env === undefined && mount.id !== undefined) mount.target = `/run/secrets/${mount.id}`;
  }
  if ((type === 'bind' || type === 'cache' || type === 'tmpfs') && mount.target === undefined) {
    throw new TsbuildError('BAD_FLAG_VALUE', `--mount=${spec}: a ${type} mount needs a target`);
  }
  return mount;
}

function splitCsv(spec: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quote = '';
  for (const ch of spec) {
    if (quote) {
      if (ch === quote) quote = '';
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ',') {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields.filter((f) => f !== '');
}

function readonlyOf(values: Map<string, string | undefined>, type: string): boolean | undefined {
  if (values.has('readonly') || values.has('ro')) return boolOf(values.get('readonly') ?? values.get('ro'));
  if (values.has('rw') || values.has('readwrite')) return !boolOf(values.get('rw') ?? values.get('readwrite'));
  return type === 'bind' ? true : undefined;
}

function boolOf(value: string | undefined): boolean {
  return value === undefined || value.toLowerCase() === 'true' || value === '1';
}

function sharingOf(value: string | undefined, spec: string): 'shared' | 'private' | 'locked' {
  if (value === undefined) return 'shared';
  if (value === 'shared' || value === 'private' || value === 'locked') return value;
  throw new TsbuildError('BAD_FLAG_VALUE', `unsupported sharing value "${value}" in --mount=${spec}`);
}

function octal(value: string | undefined, spec: string): number {
  if (!value || !/^[0-7]+$/.test(value)) throw new TsbuildError('BAD_FLAG_VALUE', `invalid mode "${value ?? ''}" in --mount=${spec}`);
  return parseInt(value, 8);
}

function integer(value: string | undefined, key: string, spec: string): number {
  if (!value || !/^\d+$/.test(value)) throw new TsbuildError('BAD_FLAG_VALUE', `invalid ${key} "${value ?? ''}" in --mount=${spec}`);
  return Number(value);
}
