import { TsbuildError } from '@tsbuild/errors';

/** `{{ .version }}` (Go/Jinja templates) or `%%NGINX_VERSION%%` (sed-style templates). */
const PLACEHOLDER = /\{\{[^\n]*?\}\}|%%[A-Za-z0-9_]+%%/;

/**
 * When a Dockerfile that failed to parse or plan is an unrendered template, the useful error is
 * that, pointing at the first placeholder, rather than whatever the placeholder broke.
 */
export function asTemplateError(error: unknown, text: string, file: string): unknown {
  if (!(error instanceof TsbuildError) || error.code === 'TEMPLATE_PLACEHOLDER') return error;
  const lines = text.split('\n');
  const index = lines.findIndex((line) => PLACEHOLDER.test(line));
  if (index < 0) return error;
  const placeholder = PLACEHOLDER.exec(lines[index]!)![0];
  return new TsbuildError('TEMPLATE_PLACEHOLDER', `the Dockerfile is an unrendered template: "${placeholder}" is a placeholder (render the template first)`, {
    location: { file, line: index + 1 },
    cause: error,
  });
}
