export * from './config.js';
export * from './credentials.js';
export * from './client.js';
export * from './locations.js';
export * from './progress.js';
export * from './registry-client.js';
export * from './open-client.js';
