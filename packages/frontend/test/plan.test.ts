import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { createPlan, type Plan, type PlanOptions, type Step } from '@tsbuild/frontend';

const platform = { os: 'linux', architecture: 'amd64' };

function plan(dockerfile: string, options: Partial<PlanOptions> = {}): Promise<Plan> {
  return createPlan({ dockerfile, platform, ...options });
}

async function planError(dockerfile: string, options: Partial<PlanOptions> = {}): Promise<TsbuildError> {
  try {
    await plan(dockerfile, options);
  } catch (error) {
    expect(error).toBeInstanceOf(TsbuildError);
    return error as TsbuildError;
  }
  throw new Error('expected the plan to fail');
}

function steps(p: Plan): Step[] {
  return p.stages.flatMap((s) => s.steps);
}

describe('ARG scoping', () => {
  it('feeds global ARGs to FROM only, until a stage re-declares them', async () => {
    const p = await plan(`ARG BASE=alpine:3.19
ARG TAG
FROM \${BASE}
ENV A=\${BASE}
ARG BASE
ENV B=\${BASE}
`);
    expect(p.stages[0]!.base).toEqual({ kind: 'image', ref: 'alpine:3.19' });
    const [envA, arg, envB] = steps(p);
    expect(envA!.instruction).toEqual({ kind: 'ENV', pairs: [['A', '']] });
    expect(arg!.instruction.kind).toBe('ARG');
    expect(envB!.instruction).toEqual({ kind: 'ENV', pairs: [['B', 'alpine:3.19']] });
  });

  it('lets build args override defaults, globally and in stages', async () => {
    const p = await plan(`ARG V=1
FROM busybox:\${V}
ARG V
ARG W=default
RUN echo hi
`, { buildArgs: { V: '2', W: 'given' } });
    expect(p.stages[0]!.base).toEqual({ kind: 'image', ref: 'busybox:2' });
    expect(steps(p)[2]!.state.args).toEqual([['V', '2'], ['W', 'given']]);
    expect(p.warnings).toEqual([]);
  });

  it('gives ENV precedence over an ARG of the same name', async () => {
    const p = await plan(`FROM scratch
ARG X=from-arg
ENV X=from-env
WORKDIR /\${X}
`);
    expect(steps(p)[2]!.instruction).toEqual({ kind: 'WORKDIR', path: '/from-env' });
  });

  it('warns about build args no ARG consumed, but not proxy args', async () => {
    const p = await plan('FROM scratch\nARG USED\n', { buildArgs: { USED: '1', NOPE: '2', HTTP_PROXY: 'http://p' } });
    expect(p.warnings.map((w) => [w.code, w.message])).toEqual([
      ['UNUSED_BUILD_ARG', 'build-arg "NOPE" was not consumed by any ARG of the stages built'],
    ]);
  });

  it('passes proxy build args to RUN without a declaration', async () => {
    const p = await plan('FROM scratch\nRUN true\n', { buildArgs: { HTTP_PROXY: 'http://p:3128' } });
    expect(steps(p)[0]!.state.args).toEqual([['HTTP_PROXY', 'http://p:3128']]);
  });

  it('provides the automatic platform args to FROM and to stages that declare them', async () => {
    const p = await plan(`FROM --platform=\$BUILDPLATFORM busybox AS b
ARG TARGETARCH
ARG TARGETOS
RUN echo \$TARGETARCH
`);
    expect(p.stages[0]!.platform).toBe('linux/amd64');
    expect(steps(p)[2]!.state.args).toEqual([['TARGETARCH', 'amd64'], ['TARGETOS', 'linux']]);
  });
});

describe('step state', () => {
  it('tracks WORKDIR (relative to the previous one), USER, SHELL and ENV as each step sees them', async () => {
    const p = await plan(`FROM scratch
WORKDIR /app
WORKDIR src
USER nobody
SHELL ["/bin/bash", "-c"]
ENV A=1 B=\$A
ENV C=\$A
RUN true
`);
    const run = steps(p).at(-1)!;
    expect(run.state.workdir).toBe('/app/src');
    expect(run.state.user).toBe('nobody');
    expect(run.state.shell).toEqual(['/bin/bash', '-c']);
    // ENV A=1 B=$A expands $A before the instruction, so B is empty.
    expect(steps(p)[4]!.instruction).toEqual({ kind: 'ENV', pairs: [['A', '1'], ['B', '']] });
    expect(run.state.env).toEqual([['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ['A', '1'], ['B', ''], ['C', '1']]);
  });

  it('expands against the base image config and runs its ONBUILD triggers first', async () => {
    const p = await plan('FROM base\nENV PATH=/opt/bin:$PATH\n', {
      resolveImage: async (ref) =>
        ref === 'base' ? { env: ['PATH=/usr/bin:/bin'], workdir: '/srv', user: 'app', onbuild: ['RUN echo triggered'] } : undefined,
    });
    const [trigger, env] = steps(p);
    expect(trigger!.instruction).toMatchObject({ kind: 'RUN', command: { form: 'shell', script: 'echo triggered' } });
    expect(trigger!.location.line).toBe(1);
    expect(trigger!.state).toMatchObject({ workdir: '/srv', user: 'app' });
    expect(env!.instruction).toEqual({ kind: 'ENV', pairs: [['PATH', '/opt/bin:/usr/bin:/bin']] });
  });

  it('locates each step at its Dockerfile lines', async () => {
    const p = await plan('FROM scratch\n\nRUN a \\\n  b\nCMD ["x"]\n');
    expect(steps(p).map((s) => [s.id, s.location.line, s.location.endLine])).toEqual([
      ['0/1', 3, 4],
      ['0/2', 5, 5],
    ]);
  });
});

describe('stages', () => {
  const multi = `FROM busybox AS base
RUN echo base

FROM base AS build
COPY --from=tools /bin/x /bin/x
RUN make

FROM alpine AS tools
RUN echo tools

FROM scratch AS unused
RUN echo never

FROM base
COPY --from=build /out /out
COPY --from=0 /etc/passwd /etc/passwd
COPY --from=nginx:1.25 /etc/nginx /etc/nginx
`;

  it('builds the DAG of the target, dependencies first, and drops stages it does not need', async () => {
    const p = await plan(multi);
    expect(p.target).toBe(4);
    expect(p.stages.map((s) => s.index)).toEqual([0, 2, 1, 4]);
    const final = p.stages.at(-1)!;
    expect(final.base).toEqual({ kind: 'stage', index: 0 });
    expect(final.dependsOn).toEqual([0, 1]);
    expect(final.images).toEqual(['nginx:1.25']);
    expect(final.steps.map((s) => s.instruction.kind === 'COPY' && s.instruction.from)).toEqual([
      { kind: 'stage', index: 1 },
      { kind: 'stage', index: 0 },
      { kind: 'image', ref: 'nginx:1.25' },
    ]);
  });

  it('plans only what --target needs (names are case-insensitive)', async () => {
    const p = await plan(multi, { target: 'BUILD' });
    expect(p.stages.map((s) => s.name)).toEqual(['base', 'tools', 'build']);
  });

  it('rejects a missing target', async () => {
    const e = await planError(multi, { target: 'nope' });
    expect([e.code, e.message]).toEqual(['TARGET_NOT_FOUND', 'target stage "nope" could not be found in Dockerfile']);
  });

  it('rejects circular stage references at the stage that closes the cycle', async () => {
    const e = await planError('FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n');
    expect(e.code).toBe('CIRCULAR_STAGE_REFERENCE');
    expect(e.message).toBe('circular dependency between stages: b -> a -> b');
    expect(e.location?.line).toBe(3);
  });

  it('rejects a stage copying from itself and an index that does not exist', async () => {
    const self = await planError('FROM busybox AS a\nCOPY --from=a /x /x\n');
    expect([self.code, self.location?.line]).toEqual(['CIRCULAR_STAGE_REFERENCE', 2]);
    const missing = await planError('FROM busybox\nCOPY --from=3 /x /x\n');
    expect([missing.code, missing.message, missing.location?.line]).toEqual([
      'STAGE_NOT_FOUND',
      'stage 3 does not exist (the Dockerfile has 1)',
      2,
    ]);
  });

  it('rejects duplicate and invalid stage names, and a blank base', async () => {
    const dup = await planError('FROM a AS x\nFROM b AS X\n');
    expect([dup.code, dup.location?.line]).toEqual(['DUPLICATE_STAGE_NAME', 2]);
    const bad = await planError('FROM a AS 1st\n');
    expect(bad.code).toBe('INVALID_STAGE_NAME');
    const blank = await planError('ARG IMG\nFROM $IMG\n');
    expect([blank.code, blank.message, blank.location?.line]).toEqual(['BLANK_BASE_IMAGE', 'base name ($IMG) should not be blank', 2]);
  });

  it('rejects instructions before the first FROM other than ARG', async () => {
    const e = await planError('# hi\nRUN echo\nFROM scratch\n');
    expect([e.code, e.location?.line]).toEqual(['NO_BUILD_STAGE', 2]);
  });

  it('locates expansion errors at the instruction', async () => {
    const e = await planError('FROM scratch\nWORKDIR ${NOPE:?must be set}\n');
    expect([e.code, e.location?.line]).toEqual(['BAD_EXPANSION', 2]);
  });
});
