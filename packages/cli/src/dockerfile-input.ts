import { readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TsbuildError } from '@tsbuild/errors';

export interface DockerfileInput {
  /** The path shown in errors: as the user would type it, relative to the working directory. */
  file: string;
  text: string;
  context: string;
}

/** Reads the Dockerfile the way `docker build` finds it: `-f FILE`, `-f -` (stdin), or CONTEXT/Dockerfile. */
export function readDockerfileInput(context: string | undefined, fileFlag: string | undefined): DockerfileInput {
  if (context === undefined) {
    throw new TsbuildError('USAGE', 'a build context is required, e.g. "." for the current directory', { kind: 'usage' });
  }
  if (!isDirectory(context)) {
    throw new TsbuildError('CONTEXT_NOT_FOUND', `build context "${context}" is not a directory`, { kind: 'usage' });
  }
  if (fileFlag === '-') return { file: '<stdin>', text: readFileSync(0, 'utf8'), context };
  const path = fileFlag ?? join(context, 'Dockerfile');
  try {
    return { file: displayPath(path), text: readFileSync(path, 'utf8'), context };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new TsbuildError('DOCKERFILE_NOT_FOUND', `cannot read Dockerfile "${path}": ${reason}`, { kind: 'usage' });
  }
}

/** Relative to the working directory when below it, else absolute: what a user can click on. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : resolve(path);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
