export { applyLayer, type ApplyLayerOptions, type AppliedLayer } from './apply-layer.js';
export { diffUpperdir, writeLayer, type DiffOptions, type LayerDiff, type WrittenLayer } from './diff.js';
export {
  compressLayer,
  COMPRESSION_LEVELS,
  DEFAULT_GZIP_LEVEL,
  DEFAULT_ZSTD_LEVEL,
  type CompressionAlgorithm,
  type CompressOptions,
  type CompressedBlob,
  type LayerCompression,
} from './compress.js';
export { mountOverlay, unmount, mountsUnder, type OverlayMount } from './mount.js';
export { SnapshotStore, cleanupStale, type LayerSource, type ChainMount } from './snapshot-store.js';
export { isOpaqueDir } from './xattr.js';
export { deviceMajor, deviceMinor, makeSpecialFile, specialFileType, type SpecialFileType } from './special-files.js';
export { compressedImage, compressedLayer, GZIP, isPlainLayer, plainLayer, type ImageFormat } from './compress-image.js';
export { throughCommand, type StreamCommand } from './command-stream.js';
export { decompressedTar } from './decompress.js';
