export * from './runc/index.js';
export * from './copy/index.js';
