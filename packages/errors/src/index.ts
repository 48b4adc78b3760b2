export * from './location.js';
export * from './error.js';
export * from './diagnostic.js';
