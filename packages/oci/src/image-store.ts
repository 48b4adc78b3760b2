import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { TsbuildError } from '@tsbuild/errors';

import { withFileLock } from './file-lock.js';
import { parseReference, type Reference } from './reference.js';
import type { Descriptor } from './types.js';

/** One local image name and what it points at (a manifest or an index in the content store). */
export interface ImageRecord {
  /** Full normalised reference: `docker.io/library/busybox:latest`. */
  name: string;
  reference: Reference;
  target: Descriptor;
  /** ISO timestamps: when the name was first given, and last moved. */
  created: string;
  updated: string;
}

interface StoredRecord {
  target: Descriptor;
  created: string;
  updated: string;
}

interface ImagesFile {
  version: 1;
  images: Record<string, StoredRecord>;
}

/**
 * Local image names under `<root>/images/images.json`. Every change happens under a lock file and
 * replaces the file atomically (temp file, fsync, rename), so concurrent builds never lose each
 * other's tags and a reader never sees half a file.
 */
export class ImageStore {
  private readonly dir: string;
  private readonly file: string;
  private readonly lockFile: string;

  constructor(root: string) {
    this.dir = join(root, 'images');
    this.file = join(this.dir, 'images.json');
    this.lockFile = join(this.dir, 'images.lock');
  }

  /** Points `ref` at `target`, replacing what it pointed at before. */
  async tag(ref: Reference | string, target: Descriptor): Promise<ImageRecord> {
    const reference = toReference(ref);
    const name = reference.toString();
    const stored = await this.update((images) => {
      const now = new Date().toISOString();
      const record = { target: cleanDescriptor(target), created: images[name]?.created ?? now, updated: now };
      images[name] = record;
      return record;
    });
    return { name, reference, ...stored };
  }

  /** What `ref` points at, or undefined. A digest-only reference matches any name of that repository with that digest. */
  async resolve(ref: Reference | string): Promise<Descriptor | undefined> {
    return (await this.get(ref))?.target;
  }

  async get(ref: Reference | string): Promise<ImageRecord | undefined> {
    const reference = toReference(ref);
    const images = (await this.read()).images;
    const name = reference.toString();
    const exact = images[name];
    if (exact) return { name, reference, ...exact };
    if (reference.digest === undefined) return undefined;
    for (const record of await this.list()) {
      if (record.reference.name === reference.name && record.target.digest === reference.digest) return record;
    }
    return undefined;
  }

  /** Every name, sorted. */
  async list(): Promise<ImageRecord[]> {
    const images = (await this.read()).images;
    return Object.keys(images)
      .sort()
      .map((name) => ({ name, reference: parseReference(name, { defaultTag: false }), ...(images[name] as StoredRecord) }));
  }

  /** Names whose target digest starts with `prefix` (hex, with or without `sha256:`), like Docker's short image IDs. */
  async findByDigestPrefix(prefix: string): Promise<ImageRecord[]> {
    const hex = prefix.startsWith('sha256:') ? prefix.slice('sha256:'.length) : prefix;
    if (!/^[a-f0-9]+$/.test(hex)) return [];
    return (await this.list()).filter((record) => record.target.digest.slice('sha256:'.length).startsWith(hex));
  }

  /** Removes a name; returns whether it existed. The blobs stay in the content store. */
  async untag(ref: Reference | string): Promise<boolean> {
    const name = toReference(ref).toString();
    return this.update((images) => {
      if (!(name in images)) return false;
      delete images[name];
      return true;
    });
  }

  private async read(): Promise<ImagesFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {} };
      throw new TsbuildError('IMAGE_STORE_IO', `cannot read ${this.file}: ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as ImagesFile;
      if (parsed.version !== 1 || typeof parsed.images !== 'object') throw new Error('unknown format');
      return parsed;
    } catch (error) {
      throw new TsbuildError('IMAGE_STORE_CORRUPT', `${this.file} is not a tsbuild image list: ${(error as Error).message}`);
    }
  }

  private async update<T>(change: (images: Record<string, StoredRecord>) => T): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    return withFileLock(this.lockFile, async () => {
      const file = await this.read();
      const result = change(file.images);
      await writeFileAtomically(this.file, JSON.stringify(file, null, 2) + '\n');
      return result;
    });
  }
}

function toReference(ref: Reference | string): Reference {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}

/** Only the descriptor fields that identify the target, not extras a caller may have attached. */
function cleanDescriptor(d: Descriptor): Descriptor {
  const clean: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.platform) clean.platform = d.platform;
  if (d.annotations) clean.annotations = d.annotations;
  return clean;
}

/** Temp file in the same directory, fsync, rename: the file is always either old or new, never partial. */
export async function writeFileAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new TsbuildError('IMAGE_STORE_IO', `cannot write ${path}: ${(error as Error).message}`);
  }
}
