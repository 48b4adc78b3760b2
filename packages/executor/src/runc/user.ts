import { readFileSync } from 'node:fs';
import { TsbuildError } from '@tsbuild/errors';
import { resolveInRoot } from '../copy/scoped-path.js';
import type { ResolvedUser } from './types.js';

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/**
 * Resolves Docker's USER string the way BuildKit does for RUN: empty is root; `uid:gid` with both
 * numeric (or `root`) is taken as is; otherwise the user is looked up by name or uid in the
 * rootfs's /etc/passwd (a numeric uid without an entry runs with gid 0), an explicit group by name or
 * gid in /etc/group, and only without an explicit group do the groups that list the user become
 * supplementary groups. An unknown name is an error.
 */
export function resolveUser(rootfs: string, user: string | undefined): ResolvedUser {
  const spec = user ?? '';
  // No USER runs as root with root's groups (BuildKit #2428); an image without a root entry gets 0:0.
  if (spec === '') return (readDatabase(rootfs, 'passwd', parsePasswdLine) ?? []).some((e) => e.name === 'root') ? resolveUser(rootfs, 'root') : { uid: 0, gid: 0, additionalGids: [] };
  const fast = numericPair(spec);
  if (fast) return { ...fast, additionalGids: [] };

  const separator = spec.indexOf(':');
  const userArg = separator < 0 ? spec : spec.slice(0, separator);
  const groupArg = separator < 0 ? '' : spec.slice(separator + 1);
  const passwd = readDatabase(rootfs, 'passwd', parsePasswdLine);

  const matched = passwd?.find((entry) => (isNumeric(userArg) ? entry.uid === Number(userArg) : entry.name === userArg));
  let uid = 0;
  let gid = 0;
  if (matched) {
    uid = matched.uid;
    gid = matched.gid;
  } else if (userArg !== '') {
    if (!isNumeric(userArg)) {
      throw new TsbuildError('USER_NOT_FOUND', `unable to find user ${userArg}: no matching entries in passwd file`);
    }
    uid = Number(userArg);
  }

  if (groupArg === '' && !matched) return { uid, gid, additionalGids: [] };
  const groups = readDatabase(rootfs, 'group', parseGroupLine) ?? [];
  if (groupArg !== '') {
    const group = groups.find((entry) => (isNumeric(groupArg) ? entry.gid === Number(groupArg) : entry.name === groupArg));
    if (group) return { uid, gid: group.gid, additionalGids: [] };
    if (!isNumeric(groupArg)) {
      throw new TsbuildError('GROUP_NOT_FOUND', `unable to find group ${groupArg}: no matching entries in group file`);
    }
    return { uid, gid: Number(groupArg), additionalGids: [] };
  }
  const memberOf = groups.filter((entry) => matched && entry.members.includes(matched.name)).map((entry) => entry.gid);
  return { uid, gid, additionalGids: memberOf };
}

/** BuildKit's fast path: both parts numeric (`root` counts as 0), no file lookup, no supplementary groups. */
function numericPair(spec: string): { uid: number; gid: number } | undefined {
  const parts = spec.split(':');
  if (parts.length !== 2) return undefined;
  const [uidPart, gidPart] = parts as [string, string];
  const uid = idOrRoot(uidPart);
  const gid = idOrRoot(gidPart);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function idOrRoot(part: string): number | undefined {
  if (part === 'root') return 0;
  return isNumeric(part) && Number(part) <= 0xffffffff ? Number(part) : undefined;
}

function isNumeric(value: string): boolean {
  return /^\d+$/.test(value);
}

/** Reads /etc/passwd or /etc/group inside the rootfs (symlinks resolved within it); undefined when absent. */
function readDatabase<T>(rootfs: string, name: 'passwd' | 'group', parse: (fields: string[]) => T | undefined): T[] | undefined {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(rootfs, `/etc/${name}`), 'utf8');
  } catch {
    return undefined;
  }
  const entries: T[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const entry = parse(trimmed.split(':'));
    if (entry) entries.push(entry);
  }
  return entries;
}

function parsePasswdLine(fields: string[]): PasswdEntry | undefined {
  const [name, , uid, gid] = fields;
  if (name === undefined || uid === undefined || !isNumeric(uid)) return undefined;
  return { name, uid: Number(uid), gid: gid !== undefined && isNumeric(gid) ? Number(gid) : 0 };
}

function parseGroupLine(fields: string[]): GroupEntry | undefined {
  const [name, , gid, members] = fields;
  if (name === undefined || gid === undefined || !isNumeric(gid)) return undefined;
  return { name, gid: Number(gid), members: (members ?? '').split(',').filter((member) => member !== '') };
}
