import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { KnownLocations } from '../src/locations.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('KnownLocations', () => {
  it('remembers the repositories that hold a blob, most recent first, and skips a write that changes nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tsbuild-locations-'));
    roots.push(root);
    const file = join(root, 'registry-locations.json');
    const locations = new KnownLocations(root);
    await locations.record('r:5000', 'team/app', [A, B]);
    await locations.record('r:5000', 'team/base', [A]);
    expect(await locations.repositoriesWith(A, 'r:5000', 'other')).toEqual(['team/base', 'team/app']);
    expect(await locations.repositoriesWith(B, 'r:5000', 'team/app')).toEqual([]);
    expect(await locations.repositoriesWith(A, 'elsewhere:5000', 'other')).toEqual([]);

    // Each write renames a new file into place (a new inode): the same inode means no write.
    const written = await readFile(file, 'utf8');
    const inode = (await stat(file)).ino;
    await locations.record('r:5000', 'team/base', [A]);
    expect(await readFile(file, 'utf8')).toBe(written);
    expect((await stat(file)).ino).toBe(inode);

    // team/app already holds A, but team/base was recorded after it: the order changes, so it is written.
    await locations.record('r:5000', 'team/app', [A]);
    expect(await locations.repositoriesWith(A, 'r:5000', 'other')).toEqual(['team/app', 'team/base']);
    expect((await stat(file)).ino).not.toBe(inode);
  });
});
