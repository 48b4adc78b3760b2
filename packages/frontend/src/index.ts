export * from './ast.js';
export * from './instructions.js';
export * from './plan.js';
export * from './parse/index.js';
export * from './shell/index.js';
export * from './planner/index.js';
