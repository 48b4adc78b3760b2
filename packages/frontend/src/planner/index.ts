export { createPlan, DEFAULT_PATH, DEFAULT_SHELL, type BaseImageConfig, type PlanOptions } from './create-plan.js';
export { hostPlatform, formatPlatform, platformArgs, PROXY_ARGS } from './platform.js';
export { stageLabel } from './dag.js';
