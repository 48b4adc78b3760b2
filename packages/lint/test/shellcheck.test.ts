import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '@tsbuild/lint';

/** ShellCheck findings as `line:column message`. */
async function shellcheck(text: string): Promise<string[]> {
  const all = await lintDockerfile({ text, file: 'Dockerfile' });
  return all.filter((f) => f.rule === 'ShellCheck').map((f) => `${f.line}:${f.column} ${f.severity} ${f.message}`);
}

describe('shellcheck over RUN scripts', () => {
  it('maps findings to the Dockerfile line and column, past RUN flags, continuations and comment lines', async () => {
    const text = [
      'FROM alpine:3',
      'RUN --mount=type=cache,target=/var/cache/apk apk add curl && \\',
      '    # fetch the tool',
      '',
      '    cd /tmp && curl -fsSL $URL -o tool',
    ].join('\n');
    expect(await shellcheck(`${text}\n`)).toEqual([
      '5:27 info SC2086: Double quote to prevent globbing and word splitting.',
    ]);
  });

  it('checks a RUN heredoc script at its own lines, in the dialect SHELL or its shebang names, and leaves other interpreters alone', async () => {
    const text = [
      'FROM alpine:3',
      'SHELL ["/bin/bash", "-c"]',
      'RUN <<EOF',
      'set -e',
      'for f in $(ls *.txt); do echo "$f"; done',
      'EOF',
      'RUN <<EOF',
      '#!/usr/bin/env python3',
      'print($x)',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh',
      '[[ -n "$HOME" ]] && echo ok',
      'EOF',
    ].join('\n');
    expect(await shellcheck(`${text}\n`)).toEqual([
      '5:10 error SC2045: Iterating over ls output is fragile. Use globs.',
      "5:15 info SC2035: Use ./*glob* or -- *glob* so names with dashes won't become options.",
      '13:1 warning SC3010: In POSIX sh, [[ ]] is undefined.',
    ]);
  });

  it('is switched off by a comment above the RUN, also for a finding on a later line of it', async () => {
    const text = 'FROM alpine:3\n# tsbuild-lint ignore=ShellCheck\nRUN true && \\\n    echo $1\nRUN echo $2\n';
    expect(await shellcheck(text)).toEqual(['5:10 info SC2086: Double quote to prevent globbing and word splitting.']);
  });

  it('skips exec-form RUN and a pwsh SHELL', async () => {
    expect(await shellcheck('FROM alpine:3\nRUN ["sh", "-c", "echo $1"]\nSHELL ["pwsh", "-c"]\nRUN echo $1\n')).toEqual([]);
  });
});
