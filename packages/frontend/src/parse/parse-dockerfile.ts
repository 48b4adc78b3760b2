import { DockerfileParser } from 'dockerfile-ast';
import { TsbuildError, type Diagnostic } from '@tsbuild/errors';

import type { ParsedDockerfile, ParserDirectives, RawInstruction } from '../ast.js';
import { scanInstructions } from './lines.js';
import { toRawInstruction } from './raw.js';
import { asTemplateError } from './template.js';

/**
 * Parses a Dockerfile as BuildKit's parser does. The parser directives (`syntax`, `escape`,
 * `check`, only at the top) come from dockerfile-ast; the instructions are assembled with
 * BuildKit's line rules and argument splitting (see lines.ts and raw.ts).
 */
export function parseDockerfile(text: string, file: string): ParsedDockerfile {
  try {
    return parse(text, file);
  } catch (error) {
    throw asTemplateError(error, text, file);
  }
}

function parse(text: string, file: string): ParsedDockerfile {
  const directives = readDirectives(text, file);
  const warnings: Diagnostic[] = [];
  const instructions: RawInstruction[] = [];
  for (const scanned of scanInstructions(text, directives.escape, file)) {
    const raw = toRawInstruction(scanned, directives.escape, file);
    if (scanned.emptyContinuation) {
      warnings.push({
        code: 'NoEmptyContinuation',
        severity: 'warning',
        message: 'Empty continuation lines will become errors in a future release',
        location: { file, line: scanned.start, endLine: scanned.end },
      });
    }
    instructions.push(raw);
  }
  if (instructions.length === 0) {
    throw new TsbuildError('EMPTY_DOCKERFILE', 'the Dockerfile has no instructions (it is empty or only comments)', {
      location: { file, line: 1 },
    });
  }
  return { file, directives, instructions, warnings };
}

function readDirectives(text: string, file: string): ParserDirectives {
  const directives: ParserDirectives = { escape: '\\' };
  const seen = new Set<string>();
  for (const directive of DockerfileParser.parse(text).getDirectives()) {
    const name = directive.getName().toLowerCase();
    const line = directive.getRange().start.line + 1;
    if (seen.has(name)) {
      throw new TsbuildError('DUPLICATE_DIRECTIVE', `only one ${name} parser directive can be used`, { location: { file, line } });
    }
    seen.add(name);
    const value = directive.getValue();
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new TsbuildError('INVALID_DIRECTIVE', `invalid escape token '${value}' does not match \` or \\`, { location: { file, line } });
      }
      directives.escape = value;
    } else if (name === 'syntax') {
      directives.syntax = value;
    } else if (name === 'check') {
      directives.check = value;
    }
  }
  return directives;
}
