export { expandWord, expandWords, type ExpansionEnv, type ExpansionOptions } from './lexer.js';
