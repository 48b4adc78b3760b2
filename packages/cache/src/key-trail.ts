import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';


/**
 * What a step's cache key was made of, by part, kept per step (Dockerfile + step id) between
 * builds so that a miss can say which part changed. Values are hashed: an ENV or ARG value never
 * lands here in clear.
 */
export interface KeyTrail {
  parent: string;
  instruction: string;
  env: Record<string, string>;
  args: Record<string, string>;
  place: string;
  /** Per input (a context path, a source stage) its fingerprint. */
  inputs: Record<string, string>;
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** Says, for a person, the first part of the key that differs from the last build of the step. */
export function explainMiss(previous: KeyTrail | undefined, current: KeyTrail, parentKind: 'base' | 'step'): string {
  if (!previous) return 'not built before';
  if (previous.parent !== current.parent) return parentKind === 'base' ? 'the base image changed' : 'an earlier step changed';
  if (previous.instruction !== current.instruction) return 'the instruction changed';
  const arg = changedName(previous.args, current.args);
  if (arg) return `build arg ${arg} changed`;
  const env = changedName(previous.env, current.env);
  if (env) return `ENV ${env} changed`;
  if (previous.place !== current.place) return 'WORKDIR, USER or SHELL changed';
  for (const [name, fingerprint] of Object.entries(current.inputs)) {
    if (!(name in previous.inputs)) return `${name} was added`;
    if (previous.inputs[name] !== fingerprint) return `${name} changed`;
  }
  for (const name of Object.keys(previous.inputs)) if (!(name in current.inputs)) return `${name} was removed`;
  return 'its cached result is gone';
}

function changedName(before: Record<string, string>, after: Record<string, string>): string | undefined {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].find((name) => before[name] !== after[name]);
}

/** Trails under `<root>/cache/trails/`, one file per step identity. */
export class KeyTrails {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'cache', 'trails');
  }

  async get(identity: string): Promise<KeyTrail | undefined> {
    const text = await readFile(this.file(identity), 'utf8').catch(() => undefined);
    try {
      return text ? (JSON.parse(text) as KeyTrail) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the trail unless it is unchanged (a no-op rebuild writes nothing). No fsync: a trail
   * lost in a crash only costs the explanation of one miss.
   */
  async put(identity: string, trail: KeyTrail, previous?: KeyTrail): Promise<void> {
    const text = JSON.stringify(trail);
    if (previous && JSON.stringify(previous) === text) return;
    await mkdir(this.dir, { recursive: true });
    const file = this.file(identity);
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, text);
    await rename(temp, file);
  }

  private file(identity: string): string {
    return path.join(this.dir, `${hashOf(identity)}.json`);
  }
}
