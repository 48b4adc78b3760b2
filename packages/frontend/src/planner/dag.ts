import { TsbuildError } from '@tsbuild/errors';
import type { Stage } from '../plan.js';

/**
 * The stages `target` needs, each after the stages it depends on (ties keep Dockerfile order).
 * A cycle (`COPY --from` pointing back at a stage that needs this one) is an error on the stage
 * that closes it.
 */
export function stagesForTarget(all: Stage[], target: number): Stage[] {
  const byIndex = new Map(all.map((s) => [s.index, s]));
  const state = new Map<number, 'visiting' | 'done'>();
  const ordered: Stage[] = [];

  const visit = (index: number, path: number[]): void => {
    const mark = state.get(index);
    if (mark === 'done') return;
    const stage = byIndex.get(index)!;
    if (mark === 'visiting') {
      const names = [...path.slice(path.indexOf(index)), index].map((i) => stageLabel(byIndex.get(i)!));
      throw new TsbuildError('CIRCULAR_STAGE_REFERENCE', `circular dependency between stages: ${names.join(' -> ')}`, {
        location: stage.location,
      });
    }
    state.set(index, 'visiting');
    for (const dep of [...stage.dependsOn].sort((a, b) => a - b)) visit(dep, [...path, index]);
    state.set(index, 'done');
    ordered.push(stage);
  };

  visit(target, []);
  return ordered;
}

export function stageLabel(stage: Pick<Stage, 'index' | 'name'>): string {
  return stage.name ?? String(stage.index);
}
