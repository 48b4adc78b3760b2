export type { Category, Finding, RuleInfo, Severity } from './finding.js';
export { RULES, ruleInfo, ruleUrl } from './rules.js';
export { findSecrets, looksLikeSecretName, type SecretMatch } from './secrets.js';
export { lintDockerfile, type DockerfileInput } from './dockerfile-checks.js';
export { scanImage, type ImageScan, type ScanOptions } from './image-scan.js';
export { toSarif } from './sarif.js';
export { toGithubCommands, toMarkdownSummary } from './github.js';
export * from './config.js';
export type { BaseImageLookup } from './stage-checks.js';
