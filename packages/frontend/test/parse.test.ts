import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { createPlan, decodeInstruction, expandWord, expandWords, parseDockerfile, type Instruction } from '@tsbuild/frontend';

function parseError(text: string): TsbuildError {
  try {
    parseDockerfile(text, 'Dockerfile');
  } catch (error) {
    expect(error).toBeInstanceOf(TsbuildError);
    return error as TsbuildError;
  }
  throw new Error('expected the parse to fail');
}

async function planError(text: string): Promise<TsbuildError> {
  try {
    await createPlan({ dockerfile: text, platform: { os: 'linux', architecture: 'amd64' } });
  } catch (error) {
    expect(error).toBeInstanceOf(TsbuildError);
    return error as TsbuildError;
  }
  throw new Error('expected the plan to fail');
}

/** Decodes the first instruction of a one-line Dockerfile with an empty environment. */
function decode(text: string): Instruction {
  const parsed = parseDockerfile(text, 'Dockerfile');
  const env = () => undefined;
  return decodeInstruction(parsed.instructions[0]!, {
    file: 'Dockerfile',
    escape: parsed.directives.escape,
    expand: (w) => expandWord(w, env, { escape: parsed.directives.escape }),
    expandWords: (w) => expandWords(w, env, { escape: parsed.directives.escape }),
  });
}

describe('errors name the line', () => {
  it('suggests the instruction a typo meant', () => {
    const e = parseError('FROM busybox\n\nRUNN echo hi\n');
    expect([e.code, e.oneLine()]).toEqual(['UNKNOWN_INSTRUCTION', 'Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)']);
    expect(parseError('FROM busybox\nFLURB x\n').oneLine()).toBe('Dockerfile:2: unknown instruction: FLURB');
  });

  it('refuses empty files and files of comments only', () => {
    expect(parseError('').code).toBe('EMPTY_DOCKERFILE');
    expect(parseError('# only\n# comments\n\n').code).toBe('EMPTY_DOCKERFILE');
  });

  it('refuses an unterminated heredoc at the instruction that opened it', () => {
    const e = parseError('FROM busybox\nRUN <<EOT\necho hi\n');
    expect([e.code, e.location?.line]).toEqual(['UNTERMINATED_HEREDOC', 2]);
  });

  it('refuses ENV without a value, with BuildKit\'s message', () => {
    const e = parseError('FROM busybox\nENV PATH\n');
    expect([e.code, e.oneLine()]).toEqual(['MISSING_VALUE', 'Dockerfile:2: ENV must have two arguments']);
    expect(parseError('FROM busybox\nENV A=1 B\n').message).toBe('Syntax error - can\'t find = in "B". Must be of the form: name=value');
  });

  it('refuses flags an instruction does not take, and bad flag values', async () => {
    const unknown = await planError('FROM busybox\nCOPY --frm=build a b\n');
    expect([unknown.code, unknown.oneLine()]).toEqual(['UNKNOWN_FLAG', 'Dockerfile:2: unknown flag: --frm (did you mean --from?)']);
    expect((await planError('FROM busybox\nRUN --network=bogus true\n')).code).toBe('BAD_FLAG_VALUE');
    expect((await planError('FROM busybox\nRUN --mount=type=nfs,target=/x true\n')).code).toBe('BAD_FLAG_VALUE');
    const interval = await planError('FROM busybox\n\nHEALTHCHECK --interval=xyz CMD true\n');
    expect([interval.code, interval.location?.line]).toEqual(['BAD_FLAG_VALUE', 3]);
  });

  it('refuses a template with its placeholder line', async () => {
    const e = await planError('FROM golang:{{ .version }}-alpine AS build\nRUN go build\n');
    expect(e.code).toBe('TEMPLATE_PLACEHOLDER');
    const nginx = await planError('FROM nginx:%%NGINX_VERSION%%\nRUN x="%%PACKAGES%%\n  " \\\n  && true\n');
    expect([nginx.code, nginx.location?.line]).toEqual(['TEMPLATE_PLACEHOLDER', 1]);
  });

  it('refuses ONBUILD ONBUILD and ONBUILD FROM', async () => {
    expect((await planError('FROM busybox\nONBUILD ONBUILD RUN x\n')).message).toBe('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    expect((await planError('FROM busybox\nONBUILD FROM alpine\n')).message).toBe("FROM isn't allowed as an ONBUILD trigger");
  });
});

describe('heredocs', () => {
  it('reads several heredocs of one instruction, quoted and tab-stripped', () => {
    const parsed = parseDockerfile('FROM busybox\nRUN <<-A cat - <<"B" > /x\n\tone $X\n\tA\ntwo $X\nB\nCMD ["sh"]\n', 'Dockerfile');
    const run = parsed.instructions[1]!;
    expect(run.heredocs).toEqual([
      { name: 'A', content: 'one $X\n', expand: true, chomp: true },
      { name: 'B', content: 'two $X\n', expand: false, chomp: false },
    ]);
    expect(run.range).toEqual({ start: 2, end: 6 });
    expect(parsed.instructions[2]!.range.start).toBe(7);
  });

  it('gives COPY <<EOT its content as a source, expanded unless quoted', async () => {
    const plan = await createPlan({
      dockerfile: 'FROM busybox\nARG NAME=world\nCOPY <<EOT <<\'RAW\' /dest/\nhello ${NAME} "quoted"\nEOT\nraw ${NAME}\nRAW\n',
      platform: { os: 'linux', architecture: 'amd64' },
    });
    const copy = plan.stages[0]!.steps[1]!.instruction;
    expect(copy).toMatchObject({
      kind: 'COPY',
      sources: [],
      dest: '/dest/',
      heredocs: [
        { name: 'EOT', content: 'hello world "quoted"\n' },
        { name: 'RAW', content: 'raw ${NAME}\n' },
      ],
    });
  });
});

describe('directives and escapes', () => {
  it('applies the backtick escape everywhere', () => {
    const parsed = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\nCOPY C:\\src C:\\dest\n', 'Dockerfile');
    expect(parsed.directives).toEqual({ escape: '`' });
    expect(parsed.instructions[1]!.args).toEqual(['echo a   b']);
    expect(parsed.instructions[2]!.args).toEqual(['C:\\src', 'C:\\dest']);
  });

  it('reads syntax and check directives case-insensitively, only at the top', () => {
    const parsed = parseDockerfile('# SYNTAX=docker/dockerfile:1\n# check=skip=all\nFROM busybox\n# escape=`\nRUN a \\\n b\n', 'Dockerfile');
    expect(parsed.directives).toEqual({ escape: '\\', syntax: 'docker/dockerfile:1', check: 'skip=all' });
    expect(parsed.instructions[1]!.args).toEqual(['a  b']);
  });

  it('warns about empty continuation lines', () => {
    const parsed = parseDockerfile('FROM busybox\nRUN a \\\n\n  b\n', 'Dockerfile');
    expect(parsed.warnings.map((w) => [w.code, w.location?.line])).toEqual([['NoEmptyContinuation', 2]]);
  });
});

describe('decoding', () => {
  it('decodes COPY flags and the JSON form', () => {
    expect(decode('COPY --from=build --chown=1:2 --chmod=755 --link --exclude=*.md --exclude=.git ["a b", "c", "/d/"]')).toEqual({
      kind: 'COPY', sources: ['a b', 'c'], dest: '/d/', heredocs: [], from: { kind: 'image', ref: 'build' },
      chown: '1:2', chmod: '755', link: true, parents: false, exclude: ['*.md', '.git'],
    });
  });

  it('decodes RUN mounts with BuildKit defaults', () => {
    expect(decode('RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=npmrc --network=none npm ci')).toEqual({
      kind: 'RUN',
      command: { form: 'shell', script: 'npm ci' },
      heredocs: [],
      mounts: [
        { type: 'cache', target: '/root/.cache', sharing: 'shared' },
        { type: 'secret', id: 'npmrc', target: '/run/secrets/npmrc' },
      ],
      network: 'none',
    });
  });

  it('decodes HEALTHCHECK durations to nanoseconds and NONE', () => {
    expect(decode('HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f http://localhost/')).toEqual({
      kind: 'HEALTHCHECK',
      healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost/'], interval: 90e9, timeout: 500e6, retries: 3 },
    });
    expect(decode('HEALTHCHECK NONE')).toEqual({ kind: 'HEALTHCHECK', healthcheck: { test: ['NONE'] } });
    expect(decode('HEALTHCHECK CMD ["/bin/check", "-q"]')).toEqual({ kind: 'HEALTHCHECK', healthcheck: { test: ['CMD', '/bin/check', '-q'] } });
  });

  it('normalises EXPOSE and keeps ENV\'s legacy form', () => {
    expect(decode('EXPOSE 80 53/UDP 8000-8002')).toEqual({ kind: 'EXPOSE', ports: ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp'] });
    expect(decode('ENV GREETING hello "big" world')).toEqual({ kind: 'ENV', pairs: [['GREETING', 'hello big world']] });
    expect(decode('ENV A="x y" B=z\\ w')).toEqual({ kind: 'ENV', pairs: [['A', 'x y'], ['B', 'z w']] });
  });

  it('keeps the ONBUILD trigger as written and refuses SHELL outside JSON', () => {
    expect(decode('ONBUILD  RUN echo "built"')).toEqual({ kind: 'ONBUILD', trigger: 'RUN echo "built"' });
    expect(() => decode('SHELL /bin/bash -c')).toThrow('SHELL requires the arguments to be in JSON form');
  });
});
