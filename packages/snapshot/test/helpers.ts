import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

import * as tar from 'tar-stream';

export interface EntrySummary {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  xattrs?: string[];
  mtime?: number;
}

/** Every entry of a tar: name, type, mode, owner, link target and xattr names. */
export async function listTar(stream: AsyncIterable<Uint8Array> | Readable): Promise<EntrySummary[]> {
  const extract = tar.extract();
  Readable.from(stream).pipe(extract as unknown as NodeJS.WritableStream);
  const entries: EntrySummary[] = [];
  for await (const entry of extract) {
    const h = entry.header as tar.Header & { pax?: Record<string, string> };
    const summary: EntrySummary = { name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: (h.mtime as Date).getTime() / 1000 };
    if (h.linkname) summary.linkname = h.linkname;
    const xattrs = Object.keys(h.pax ?? {}).filter((k) => k.startsWith('SCHILY.xattr.')).map((k) => k.slice(13));
    if (xattrs.length > 0) summary.xattrs = xattrs;
    entries.push(summary);
    entry.resume();
  }
  return entries;
}

export interface TarSpec {
  name: string;
  type?: tar.Header['type'];
  body?: string;
  linkname?: string;
  mode?: number;
}

/** A small tar built in memory. */
export async function makeTar(specs: TarSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const spec of specs) {
    const header: tar.Header = { name: spec.name, type: spec.type ?? 'file', mode: spec.mode ?? (spec.type === 'directory' ? 0o755 : 0o644), mtime: new Date(1_000_000_000_000) } as tar.Header;
    if (spec.linkname !== undefined) header.linkname = spec.linkname;
    pack.entry(header, spec.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A comparable description of a tree: type, mode, owner, content, link target, hardlink groups. */
export function describeTree(root: string): string[] {
  const lines: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(full);
      let what = `${r} mode=${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) what += ' dir';
      else if (st.isSymbolicLink()) what += ` -> ${readlinkSync(full)}`;
      else if (st.isFIFO()) what += ' fifo';
      else if (st.isCharacterDevice()) what += ` chr ${st.rdev}`;
      else if (st.isFile()) {
        what += ` file ${readFileSync(full).toString('base64')}`;
        if (st.nlink > 1) {
          const first = inodes.get(st.ino);
          if (first) what += ` hardlink-of ${first}`;
          else inodes.set(st.ino, r);
        }
      }
      lines.push(what);
      if (st.isDirectory()) walk(full, r);
    }
  };
  walk(root, '');
  return lines;
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
