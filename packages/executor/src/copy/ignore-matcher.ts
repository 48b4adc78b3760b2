import dockerignore from '@balena/dockerignore';

/** Docker's exclude-pattern matcher (`**`, `!` exceptions, parent directories), case-sensitive. */
export function dockerPatternMatcher(patterns: string[]): (relativePath: string) => boolean {
  // The package is CommonJS and sets `factory.default = factory`: this works under Node and vitest.
  const ignore = dockerignore.default({ ignorecase: false }).add(patterns);
  return (relativePath) => relativePath !== '' && ignore.ignores(relativePath);
}
