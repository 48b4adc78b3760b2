import type { CommandLine, Instruction, Plan, SourceRef, Stage } from '@tsbuild/frontend';
import { formatPlatform, stageLabel } from '@tsbuild/frontend';

/** The human view of a plan: one block per stage, one line per step with its Dockerfile line. */
export function formatPlanText(plan: Plan): string[] {
  const byIndex = new Map(plan.stages.map((s) => [s.index, s]));
  const lines = [`${plan.file}: ${plan.stages.length} stage(s) for target ${targetLabel(plan)}, platform ${formatPlatform(plan.platform)}`];
  for (const stage of plan.stages) {
    lines.push('', stageHeader(stage, byIndex));
    for (const step of stage.steps) {
      lines.push(`  ${step.id.padEnd(6)} line ${String(step.location.line).padEnd(4)} ${describeInstruction(step.instruction, byIndex)}`);
    }
  }
  return lines;
}

function targetLabel(plan: Plan): string {
  const target = plan.stages.find((s) => s.index === plan.target);
  return target ? stageLabel(target) : String(plan.target);
}

function stageHeader(stage: Stage, byIndex: Map<number, Stage>): string {
  const name = stage.name ? ` (${stage.name})` : '';
  const deps = stage.dependsOn.length ? `, after ${stage.dependsOn.map((d) => stageLabel(byIndex.get(d) ?? { index: d })).join(', ')}` : '';
  return `stage ${stage.index}${name}: FROM ${sourceLabel(stage.base, byIndex)}${stage.platform ? ` --platform=${stage.platform}` : ''}${deps}`;
}

function sourceLabel(ref: SourceRef, byIndex: Map<number, Stage>): string {
  switch (ref.kind) {
    case 'stage':
      return `stage ${stageLabel(byIndex.get(ref.index) ?? { index: ref.index })}`;
    case 'image':
      return ref.ref;
    case 'context':
      return 'context';
    case 'scratch':
      return 'scratch';
  }
}

function commandLabel(command: CommandLine): string {
  return command.form === 'exec' ? JSON.stringify(command.argv) : command.script;
}

export function describeInstruction(i: Instruction, byIndex: Map<number, Stage> = new Map()): string {
  switch (i.kind) {
    case 'FROM':
      return `FROM ${i.image}${i.stageName ? ` AS ${i.stageName}` : ''}`;
    case 'RUN':
      return `RUN ${i.mounts.length ? `[${i.mounts.length} mount(s)] ` : ''}${commandLabel(i.command)}`;
    case 'CMD':
    case 'ENTRYPOINT':
      return `${i.kind} ${commandLabel(i.command)}`;
    case 'COPY':
    case 'ADD': {
      const from = i.from ? `--from=${sourceLabel(i.from, byIndex)} ` : '';
      const heredocs = i.heredocs.map((h) => `<<${h.name}`);
      return `${i.kind} ${from}${[...i.sources, ...heredocs].join(' ')} ${i.dest}`;
    }
    case 'ENV':
    case 'LABEL':
      return `${i.kind} ${i.pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`;
    case 'ARG':
      return `ARG ${i.args.map((a) => (a.default === undefined ? a.name : `${a.name}=${JSON.stringify(a.default)}`)).join(' ')}`;
    case 'WORKDIR':
      return `WORKDIR ${i.path}`;
    case 'USER':
      return `USER ${i.user}`;
    case 'EXPOSE':
      return `EXPOSE ${i.ports.join(' ')}`;
    case 'VOLUME':
      return `VOLUME ${JSON.stringify(i.paths)}`;
    case 'SHELL':
      return `SHELL ${JSON.stringify(i.shell)}`;
    case 'HEALTHCHECK':
      return `HEALTHCHECK ${JSON.stringify(i.healthcheck.test)}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${i.signal}`;
    case 'ONBUILD':
      return `ONBUILD ${i.trigger}`;
    case 'MAINTAINER':
      return `MAINTAINER ${i.maintainer}`;
  }
}
