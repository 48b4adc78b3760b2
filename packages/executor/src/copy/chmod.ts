import { TsbuildError, type SourceLocation } from '@tsbuild/errors';

/** Computes an entry's new permission bits from its current ones (`--chmod`). */
export type ModeChange = (currentMode: number, isDirectory: boolean) => number;

const WHO_BITS = { u: 0o4700, g: 0o2070, o: 0o1007 } as const;

/**
 * Parses `--chmod`: octal (`755`, `0644`) sets every copied entry to that mode; symbolic notation
 * as chmod(1) (`u+x`, `go-w`, `u=rwX,go=rX`, `g=u`) is applied to each entry's own mode, which is
 * what makes `X` mean "directories and already executable files" (BuildKit, dockerfile 1.14+).
 */
export function parseChmod(spec: string, location?: SourceLocation): ModeChange {
  if (/^[0-7]{1,4}$/.test(spec)) {
    const mode = parseInt(spec, 8);
    return () => mode;
  }
  const clauses = spec.split(',').map((clause) => parseClause(clause, spec, location));
  return (current, isDirectory) => clauses.reduce((mode, apply) => apply(mode, isDirectory), current & 0o7777);
}

function parseClause(clause: string, spec: string, location?: SourceLocation): ModeChange {
  const match = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/.exec(clause);
  if (!match) {
    throw new TsbuildError('CHMOD_INVALID', `invalid --chmod value "${spec}": expected an octal mode or chmod(1) symbolic notation`, { location });
  }
  const who = match[1] === '' || (match[1] as string).includes('a') ? 'ugo' : (match[1] as string);
  const whoMask = [...who].reduce((mask, w) => mask | WHO_BITS[w as keyof typeof WHO_BITS], 0);
  const actions = [...(match[2] as string).matchAll(/([-+=])([rwxXst]*|[ugo])/g)];
  return (start, isDirectory) => {
    let mode = start;
    for (const [, op, perms] of actions) {
      const bits = permissionBits(perms as string, mode, isDirectory) & whoMask;
      if (op === '+') mode |= bits;
      else if (op === '-') mode &= ~bits;
      else mode = (mode & ~whoMask) | bits;
    }
    return mode & 0o7777;
  };
}

/** Bits for one action in every class; the caller masks them with the clause's `who`. */
function permissionBits(perms: string, mode: number, isDirectory: boolean): number {
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    const shift = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
    return ((mode >> shift) & 0o7) * 0o111;
  }
  let bits = 0;
  for (const p of perms) {
    if (p === 'r') bits |= 0o444;
    else if (p === 'w') bits |= 0o222;
    else if (p === 'x') bits |= 0o111;
    else if (p === 'X' && (isDirectory || (mode & 0o111) !== 0)) bits |= 0o111;
    else if (p === 's') bits |= 0o6000;
    else if (p === 't') bits |= 0o1000;
  }
  return bits;
}
