export { build, type BuildOptions, type BuildResult } from './build.js';
export type { BuildEvent, BuildEventSink } from './events.js';
export { applyMetadata, commandArgv, type ConfigContext } from './image-config.js';
export { createdBy, historyComment, locationFromHistory } from './history.js';
export type { ChainLayer, ImageState } from './layer-chain.js';
export { cleanupStaleWorkspaces } from './workspace.js';
export { cleanupInterrupted, runsRoot } from './leftovers.js';
export { runImage, type RunImageOptions } from './run-image.js';
export { checkRoot, diskUsage, pruneRoot, type CheckReport, type DiskUsage, type PruneOptions, type PruneResult } from './maintenance.js';
