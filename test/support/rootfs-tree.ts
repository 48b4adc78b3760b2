import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One path of an unpacked image, with everything two builders must agree on (not times). */
export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: string;
  uid: number;
  gid: number;
  /** sha256 of a file's bytes, or a symlink's target. */
  content?: string;
  /** For files with several names: the first name of the group (hard links). */
  linkGroup?: string;
}

/** Walks an unpacked rootfs into a sorted list of entries. */
export function treeOf(root: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const firstNameOfInode = new Map<number, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = lstatSync(full);
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
      const entry: TreeEntry = { path, type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
      if (type === 'file') {
        entry.content = createHash('sha256').update(readFileSync(full)).digest('hex');
        if (st.nlink > 1) {
          const first = firstNameOfInode.get(st.ino) ?? path;
          firstNameOfInode.set(st.ino, first);
          entry.linkGroup = first;
        }
      }
      if (type === 'symlink') entry.content = readlinkSync(full);
      entries.push(entry);
      if (type === 'dir') walk(path);
    }
  };
  walk('');
  return entries;
}
