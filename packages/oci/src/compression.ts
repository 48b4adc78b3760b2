/**
 * zlib level 4, not gzip's 6: on a 300 MB layer of binaries it is 40% faster (2.6 s against 4.2 s
 * on two cores) for 2.6% more bytes, and still 1.2% smaller than the blob buildah pushes for the
 * same layer (its pgzip default).
 */
export const DEFAULT_GZIP_LEVEL = 4;
/** zstd's own default: faster than our parallel gzip on two cores, and smaller. */
export const DEFAULT_ZSTD_LEVEL = 3;

export type CompressionAlgorithm = 'gzip' | 'zstd';

/** How layers leave the machine: gzip (the default, every tool reads it) or zstd (OCI only). */
export interface LayerCompression {
  algorithm: CompressionAlgorithm;
  /** gzip 1-9, zstd 1-19. */
  level: number;
}

export const COMPRESSION_LEVELS: Record<CompressionAlgorithm, { min: number; max: number; default: number }> = {
  gzip: { min: 1, max: 9, default: DEFAULT_GZIP_LEVEL },
  zstd: { min: 1, max: 19, default: DEFAULT_ZSTD_LEVEL },
};
