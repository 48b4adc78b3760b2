export { applyLayer, type ApplyLayerOptions, type AppliedLayer } from './apply-layer.js';
export { diffUpperdir, writeLayer, type DiffOptions, type LayerDiff, type WrittenLayer } from './diff.js';
export { compressLayer, DEFAULT_GZIP_LEVEL, type CompressOptions, type CompressedBlob } from './compress.js';
export { mountOverlay, unmount, mountsUnder, type OverlayMount } from './mount.js';
export { SnapshotStore, cleanupStale, type LayerSource, type ChainMount } from './snapshot-store.js';
export { isOpaqueDir } from './xattr.js';
export { deviceMajor, deviceMinor, makeSpecialFile, specialFileType, type SpecialFileType } from './special-files.js';
export { compressedImage, gzipLayer, isPlainLayer, plainLayer, type ImageFormat } from './compress-image.js';
