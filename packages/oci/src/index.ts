export * from './types.js';
export * from './digest.js';
export * from './root.js';
export * from './content-store.js';
export * from './reference.js';
