import { readFileSync } from 'node:fs';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import { resolveInRoot } from './scoped-path.js';

export interface Owner {
  uid: number;
  gid: number;
}

export const ROOT_OWNER: Owner = { uid: 0, gid: 0 };

/**
 * Resolves a `--chown=user[:group]` value as Docker does: numbers are used as is, names are
 * looked up in the DESTINATION root's /etc/passwd and /etc/group, and a missing group takes the
 * user's numeric id (Docker's documented rule: "a UID without GID will use the same numeric UID as the GID").
 */
export function resolveOwner(chown: string, destRoot: string, location?: SourceLocation): Owner {
  const separator = chown.indexOf(':');
  const userPart = separator < 0 ? chown : chown.slice(0, separator);
  const groupPart = separator < 0 ? undefined : chown.slice(separator + 1);
  if (userPart === '') throw new TsbuildError('CHOWN_INVALID', `invalid --chown value "${chown}"`, { location });
  const uid = lookupId(userPart, destRoot, 'passwd', location);
  const gid = groupPart === undefined || groupPart === '' ? uid : lookupId(groupPart, destRoot, 'group', location);
  return { uid, gid };
}

function lookupId(name: string, destRoot: string, database: 'passwd' | 'group', location?: SourceLocation): number {
  if (/^\d+$/.test(name)) return Number(name);
  const file = resolveInRoot(destRoot, `/etc/${database}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TsbuildError(
      database === 'passwd' ? 'CHOWN_USER_NOT_FOUND' : 'CHOWN_GROUP_NOT_FOUND',
      `unable to find ${database === 'passwd' ? 'user' : 'group'} ${name}: no /etc/${database} in the image`,
      { location },
    );
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) return Number(fields[2]);
  }
  throw new TsbuildError(
    database === 'passwd' ? 'CHOWN_USER_NOT_FOUND' : 'CHOWN_GROUP_NOT_FOUND',
    `unable to find ${database === 'passwd' ? 'user' : 'group'} ${name}: no matching entries in ${database} file`,
    { location },
  );
}
