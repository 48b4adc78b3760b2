import { TsbuildError } from '@tsbuild/errors';
import { COMPRESSION_LEVELS, type CompressionAlgorithm, type LayerCompression } from '@tsbuild/oci';

/** What leaves the machine: a compression, or false for plain tars (buildx's compression=uncompressed). */
export type OutputCompression = LayerCompression | false;

/**
 * `compression=gzip|zstd|uncompressed` and `compression-level=N`, as buildx takes them in
 * `--output` (and `tsbuild push --compression`). gzip at its default level unless told; zstd
 * only in the OCI format, whose media types can name it.
 */
export function parseCompression(algorithm: string | undefined, level: string | undefined, format: 'oci' | 'docker', where: string): OutputCompression {
  const name = algorithm ?? 'gzip';
  if (name === 'uncompressed') {
    if (level !== undefined) throw usage(`${where}: compression-level makes no sense with compression=uncompressed`);
    return false;
  }
  if (name !== 'gzip' && name !== 'zstd') throw usage(`${where}: compression must be gzip, zstd or uncompressed, not "${name}"`);
  if (name === 'zstd' && format === 'docker') throw usage(`${where}: compression=zstd needs --format oci (the docker format has no zstd media type)`);
  const range = COMPRESSION_LEVELS[name as CompressionAlgorithm];
  if (level === undefined) return { algorithm: name, level: range.default };
  const n = Number(level);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw usage(`${where}: compression-level for ${name} must be ${range.min}-${range.max}, not "${level}"`);
  }
  return { algorithm: name, level: n };
}

/** The compression named across `--output` specs; two specs that disagree are an error. */
export function outputsCompression(specs: string[] | undefined, format: 'oci' | 'docker'): OutputCompression {
  const named = new Map<string, string>();
  for (const spec of specs ?? []) {
    for (const field of spec.split(',')) {
      const [key = '', value = ''] = splitField(field);
      if (key !== 'compression' && key !== 'compression-level') continue;
      if (named.has(key) && named.get(key) !== value) throw usage(`build: --output specs disagree on ${key} ("${named.get(key)}" and "${value}")`);
      named.set(key, value);
    }
  }
  return parseCompression(named.get('compression'), named.get('compression-level'), format, 'build: --output');
}

function splitField(field: string): [string, string] {
  const eq = field.indexOf('=');
  return eq < 0 ? [field, ''] : [field.slice(0, eq), field.slice(eq + 1)];
}

function usage(message: string): TsbuildError {
  return new TsbuildError('USAGE', message, { kind: 'usage' });
}
