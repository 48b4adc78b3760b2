export { stepCacheKey, StepCache, type CachedStep, type StepKeyInput } from './step-cache.js';
export { explainMiss, hashOf, KeyTrails, type KeyTrail } from './key-trail.js';
export { parseCacheRef, type CacheRef } from './cache-ref.js';
export { exportCache, ImportedCache, type ExportedRecord } from './cache-transfer.js';
