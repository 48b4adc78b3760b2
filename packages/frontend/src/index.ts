export * from './ast.js';
export * from './instructions.js';
export * from './plan.js';
