import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { CopyOptions } from './types.js';
import { selectSources, type PathItem } from './select.js';
import { parseChmod, type ModeChange } from './chmod.js';
import { resolveOwner, ROOT_OWNER, type Owner } from './owner.js';
import { ContentDigestMemo } from './digest-memo.js';
import { entryFor, type TreeEntry } from './tree.js';
import { parseChecksum, urlContentDigest } from './remote.js';

const FORMAT = 'tsbuild-copy-inputs-v2';

/** One input of a COPY/ADD: a path (source-relative), a heredoc (`<<NAME`) or a URL. */
export interface SourceInput {
  path: string;
  /** Everything about it that the copy depends on (JSON of its fields); compare to find what changed. */
  fingerprint: string;
}

export interface SourceInputs {
  /** `sha256:<hex>` over all inputs in order: the value for the cache key. */
  digest: string;
  /** Each input with its fingerprint, so a cache miss can name the file that changed. */
  inputs: SourceInput[];
}

/**
 * What a COPY/ADD would copy, for the step's cache key: the selected paths' names, types, modes
 * and owners as they will be written (after --chmod/--chown), symlink targets and file contents —
 * not times. Heredocs by content; URLs by --checksum or, without one, by downloading and hashing.
 * Unchanged files are not re-read when a memo is given.
 */
export async function sourceInputs(options: CopyOptions): Promise<SourceInputs> {
  const { instruction: spec, location } = options;
  const selection = selectSources(spec, options.source, location);
  const owner = spec.chown ? resolveOwner(spec.chown, options.destRoot, location) : options.source.kind === 'context' ? ROOT_OWNER : undefined;
  const modeChange = spec.chmod ? parseChmod(spec.chmod, location) : undefined;
  const memo = options.memo ?? new ContentDigestMemo();
  const inputs: SourceInput[] = [];
  for (const item of selection.items) {
    if (item.kind === 'heredoc') {
      const content = createHash('sha256').update(item.content).digest('hex');
      inputs.push(input(`<<${item.name}`, ['heredoc', item.name, content, mode(0o644, false, modeChange), owned(owner ?? ROOT_OWNER)]));
    } else if (item.kind === 'url') {
      const digest = spec.checksum ? checksumText(spec.checksum, location) : await urlContentDigest(item.url, location, options.signal);
      inputs.push(input(item.url.href, ['url', item.url.href, digest, mode(0o600, false, modeChange), owned(owner ?? ROOT_OWNER)]));
    } else {
      pathInputs(inputs, item, owner, modeChange, memo);
    }
  }
  const hash = createHash('sha256').update(`${FORMAT}\n`);
  for (const { path, fingerprint } of inputs) hash.update(`${JSON.stringify(path)} ${fingerprint}\n`);
  return { digest: `sha256:${hash.digest('hex')}`, inputs };
}

/** The cache-key digest of a COPY/ADD's inputs (see `sourceInputs`). */
export async function sourceDigest(options: CopyOptions): Promise<string> {
  return (await sourceInputs(options)).digest;
}

function pathInputs(inputs: SourceInput[], item: PathItem, owner: Owner | undefined, modeChange: ModeChange | undefined, memo: ContentDigestMemo): void {
  const at = (relative: string) => (relative === '' ? item.name || '.' : item.name === '' ? relative : `${item.name}/${relative}`);
  const describe = (entry: TreeEntry, name: string) => input(name, [item.parentsPath ?? '', ...entryFields(entry, owner, modeChange, memo)]);
  for (const parent of item.parentDirs ?? []) inputs.push(describe(parent, `${parent.relative}/`));
  inputs.push(describe(entryFor(item.hostPath, '', item.stat), at('')));
  for (const entry of item.entries) inputs.push(describe(entry, at(entry.relative)));
}

function entryFields(entry: TreeEntry, owner: Owner | undefined, modeChange: ModeChange | undefined, memo: ContentDigestMemo): string[] {
  const { stat } = entry;
  const who = owned(owner ?? { uid: stat.uid, gid: stat.gid });
  if (stat.isDirectory()) return ['dir', mode(stat.mode, true, modeChange), who];
  if (stat.isSymbolicLink()) return ['symlink', entry.linkTarget ?? '', who];
  if (stat.isFile()) return ['file', mode(stat.mode, false, modeChange), who, memo.digestOf(entry.hostPath, stat)];
  if (stat.isSocket()) return ['socket']; // not copied
  return [kindOf(stat), mode(stat.mode, false, modeChange), who, String(stat.rdev)];
}

function input(path: string, fields: string[]): SourceInput {
  // The fields as JSON (kept apart, no separator to forge); hashed once with all the others, not
  // one by one: a 10,000-file context would spend most of a no-op rebuild on small hashes.
  return { path, fingerprint: JSON.stringify(fields) };
}

function mode(current: number, isDirectory: boolean, modeChange: ModeChange | undefined): string {
  const bits = current & 0o7777;
  return (modeChange ? modeChange(bits, isDirectory) : bits).toString(8);
}

function owned(owner: Owner): string {
  return `${owner.uid}:${owner.gid}`;
}

function checksumText(value: string, location: CopyOptions['location']): string {
  const { algorithm, hex } = parseChecksum(value, location);
  return `${algorithm}:${hex}`;
}

function kindOf(stat: Stats): string {
  return stat.isFIFO() ? 'fifo' : stat.isBlockDevice() ? 'block-device' : 'character-device';
}
