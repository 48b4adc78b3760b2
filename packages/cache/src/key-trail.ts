import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/**
 * Trails under `<root>/cache/trails/`, one file per step identity: the step's key on the first
 * line, then its trail as JSON. A no-op rebuild reads only the key line: a COPY of a 10k-file
 * context has a trail of more than a MB.
 */
export class KeyTrails {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'cache', 'trails');
  }

  /** The key the step had when its trail was last written. */
  lastKey(identity: string): Promise<string | undefined> {
    return this.keyLine(this.file(identity));
  }

  async get(identity: string): Promise<KeyTrail | undefined> {
    const text = await readFile(this.file(identity), 'utf8').catch(() => undefined);
    if (!text) return undefined;
    try {
      return JSON.parse(text.slice(text.indexOf('\n') + 1)) as KeyTrail;
    } catch {
      return undefined;
    }
  }

  /** No fsync: a trail lost in a crash only costs the explanation of one miss. */
  async put(identity: string, key: string, trail: KeyTrail): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(identity);
    const temp = `${file}.${randomUUID()}.tmp`;
    await writeFile(temp, `${key}\n${JSON.stringify(trail)}`);
    await rename(temp, file);
  }

  /**
   * Removes the trails whose key `keep` rejects (their step's record is gone, so there is no
   * cached result left to explain a miss against), and files of the older `.json` form.
   * Returns how many went.
   */
  async prune(keep: (key: string) => boolean): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.dir, name);
      const stale = name.endsWith('.json') || (name.endsWith('.trail') && !keep((await this.keyLine(file)) ?? ''));
      if (!stale) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }

  private file(identity: string): string {
    return path.join(this.dir, `${hashOf(identity)}.trail`);
  }

  private async keyLine(file: string): Promise<string | undefined> {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) return undefined;
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(KEY_LINE_BYTES), 0, KEY_LINE_BYTES, 0);
      const head = buffer.toString('utf8', 0, bytesRead);
      const end = head.indexOf('\n');
      return end > 0 ? head.slice(0, end) : undefined;
    } finally {
      await handle.close();
    }
  }
}

/** Enough for any key line ("sha256:" and 64 hex digits, and the newline). */
const KEY_LINE_BYTES = 128;
