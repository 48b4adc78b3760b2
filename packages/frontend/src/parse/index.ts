export { parseDockerfile } from './parse-dockerfile.js';
export { decodeInstruction, type DecodeOptions } from './decode.js';
export { KEYWORDS } from './raw.js';
export { asTemplateError } from './template.js';
