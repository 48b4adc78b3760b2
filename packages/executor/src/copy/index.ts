/**
 * COPY and ADD with Docker/BuildKit semantics: the build context read in place with
 * .dockerignore, copies into a destination root (`copyInto`), and the input digest of what a
 * step would copy for its cache key (`sourceDigest`).
 */
export { openContext, parseIgnoreFile, type BuildContext, type OpenContextOptions } from './context.js';
export { copyInto, destinationPath, endsAsDirectory } from './copy-into.js';
export { sourceDigest, sourceInputs, type SourceInput, type SourceInputs } from './source-digest.js';
export { ContentDigestMemo, fileDigest, type DigestMemoRecord } from './digest-memo.js';
export { resolveOwner, type Owner } from './owner.js';
export { parseChmod, type ModeChange } from './chmod.js';
export { resolveInRoot } from './scoped-path.js';
export type { CopyOptions, CopyResult, CopySource, CopySpec } from './types.js';
