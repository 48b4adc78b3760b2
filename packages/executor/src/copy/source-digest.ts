import { createHash, type Hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { CopyOptions } from './types.js';
import { selectSources, type PathItem } from './select.js';
import { parseChmod, type ModeChange } from './chmod.js';
import { resolveOwner, ROOT_OWNER, type Owner } from './owner.js';
import { ContentDigestMemo } from './digest-memo.js';
import { entryFor, type TreeEntry } from './tree.js';
import { parseChecksum, urlContentDigest } from './remote.js';

const FORMAT = 'tsbuild-copy-inputs-v1';

/**
 * The digest of what a COPY/ADD would copy, for the step's cache key: the selected paths'
 * names, types, modes and owners as they will be written (after --chmod/--chown), symlink
 * targets and file contents — not times. Heredocs by content; URLs by --checksum or, without
 * one, by downloading and hashing. Unchanged files are not re-read when a memo is given.
 */
export async function sourceDigest(options: CopyOptions): Promise<string> {
  const { instruction: spec, location } = options;
  const selection = selectSources(spec, options.source, location);
  const owner = spec.chown ? resolveOwner(spec.chown, options.destRoot, location) : options.source.kind === 'context' ? ROOT_OWNER : undefined;
  const modeChange = spec.chmod ? parseChmod(spec.chmod, location) : undefined;
  const memo = options.memo ?? new ContentDigestMemo();
  const hash = createHash('sha256');
  line(hash, [FORMAT]);
  for (const item of selection.items) {
    if (item.kind === 'heredoc') {
      const content = createHash('sha256').update(item.content).digest('hex');
      line(hash, ['heredoc', item.name, content, mode(0o644, false, modeChange), owned(owner ?? ROOT_OWNER)]);
    } else if (item.kind === 'url') {
      const digest = spec.checksum ? checksumText(spec.checksum, location) : await urlContentDigest(item.url, location, options.signal);
      line(hash, ['url', item.url.href, digest, mode(0o600, false, modeChange), owned(owner ?? ROOT_OWNER)]);
    } else {
      hashPathItem(hash, item, owner, modeChange, memo);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}

function hashPathItem(hash: Hash, item: PathItem, owner: Owner | undefined, modeChange: ModeChange | undefined, memo: ContentDigestMemo): void {
  line(hash, ['path', item.name, item.parentsPath ?? '']);
  for (const parent of item.parentDirs ?? []) hashEntry(hash, parent, owner, modeChange, memo);
  hashEntry(hash, entryFor(item.hostPath, '', item.stat), owner, modeChange, memo);
  for (const entry of item.entries) hashEntry(hash, entry, owner, modeChange, memo);
}

function hashEntry(hash: Hash, entry: TreeEntry, owner: Owner | undefined, modeChange: ModeChange | undefined, memo: ContentDigestMemo): void {
  const { stat } = entry;
  const who = owned(owner ?? { uid: stat.uid, gid: stat.gid });
  if (stat.isDirectory()) line(hash, [entry.relative, 'dir', mode(stat.mode, true, modeChange), who]);
  else if (stat.isSymbolicLink()) line(hash, [entry.relative, 'symlink', entry.linkTarget ?? '', who]);
  else if (stat.isFile()) line(hash, [entry.relative, 'file', mode(stat.mode, false, modeChange), who, memo.digestOf(entry.hostPath, stat)]);
  else line(hash, [entry.relative, kindOf(stat)]);
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
  return stat.isFIFO() ? 'fifo' : stat.isSocket() ? 'socket' : 'device';
}

/** One record per line, JSON-encoded so no name can forge a separator. */
function line(hash: Hash, fields: string[]): void {
  hash.update(`${JSON.stringify(fields)}\n`);
}
