import { TsbuildError } from '@tsbuild/errors';

/** `--cache-to` / `--cache-from`: `type=registry,ref=R[,mode=min|max]` or `type=local,dest=DIR` / `src=DIR`. */
export type CacheRef =
  | { type: 'registry'; ref: string; mode: 'min' | 'max' }
  | { type: 'local'; dir: string; mode: 'min' | 'max' };

export function parseCacheRef(spec: string, direction: 'to' | 'from'): CacheRef {
  const fields = new Map(spec.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    return (eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)]) as [string, string];
  }));
  const mode = fields.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw usage(`--cache-${direction}: mode must be min or max, not "${mode}"`);
  const type = fields.get('type') ?? (fields.has('ref') ? 'registry' : 'local');
  if (type === 'registry') {
    const ref = fields.get('ref');
    if (!ref) throw usage(`--cache-${direction}=${spec}: type=registry needs ref=NAME`);
    return { type, ref, mode };
  }
  if (type === 'local') {
    const dir = direction === 'to' ? fields.get('dest') : fields.get('src');
    if (!dir) throw usage(`--cache-${direction}=${spec}: type=local needs ${direction === 'to' ? 'dest' : 'src'}=DIR`);
    return { type, dir, mode };
  }
  throw usage(`--cache-${direction}: type must be registry or local, not "${type}"`);
}

function usage(message: string): TsbuildError {
  return new TsbuildError('USAGE', message, { kind: 'usage' });
}
