import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { TsbuildError } from '@tsbuild/errors';
import tar from 'tar-stream';

import type { ContentStore } from '../content-store.js';
import { digestHex } from '../digest.js';
import { isIndexMediaType, isManifestMediaType } from '../media.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../types.js';
import { readDocument } from '../load-image.js';

/** Fixed entry times keep archives of the same image byte-identical. */
const ENTRY_TIME = new Date(0);

/** A tar being produced: entries are added one at a time, blobs streamed from the store. */
export class ArchiveWriter {
  readonly pack = tar.pack();
  private readonly written = new Set<string>();

  async directory(name: string): Promise<void> {
    await this.add({ name, type: 'directory', mode: 0o755, mtime: ENTRY_TIME });
  }

  async json(name: string, value: unknown): Promise<void> {
    await this.add({ name, type: 'file', mode: 0o644, mtime: ENTRY_TIME }, Buffer.from(JSON.stringify(value)));
  }

  async file(name: string, content: string | Buffer): Promise<void> {
    await this.add({ name, type: 'file', mode: 0o644, mtime: ENTRY_TIME }, Buffer.from(content));
  }

  /** `blobs/sha256/<hex>` streamed (and verified) from the store; each blob is written once. */
  async blob(store: ContentStore, descriptor: Descriptor): Promise<string> {
    const name = blobPathInArchive(descriptor.digest);
    if (this.written.has(name)) return name;
    this.written.add(name);
    const size = await store.size(descriptor.digest);
    if (size === undefined) throw new TsbuildError('BLOB_NOT_FOUND', `blob ${descriptor.digest} (${descriptor.mediaType}) is not in the content store`);
    if (size !== descriptor.size) {
      throw new TsbuildError('SIZE_MISMATCH', `blob ${descriptor.digest} is ${size} bytes, its descriptor says ${descriptor.size}`);
    }
    await this.add({ name, type: 'file', size, mode: 0o644, mtime: ENTRY_TIME }, store.createReadStream(descriptor.digest));
    return name;
  }

  finish(): void {
    this.pack.finalize();
  }

  private add(header: Partial<tar.Header> & { name: string }, content?: Buffer | Readable): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (content === undefined || Buffer.isBuffer(content)) {
        this.pack.entry(header, content ?? Buffer.alloc(0), done);
        return;
      }
      const entry = this.pack.entry(header, done);
      pump(content, entry).catch((error: unknown) => {
        // The failure is reported through `reject`; the entry's own error event would go unheard.
        entry.on('error', () => undefined);
        entry.destroy(error as Error);
        reject(error as Error);
      });
    });
  }
}

/** Copies a stream into a tar entry honouring backpressure, so memory stays flat for any layer size. */
async function pump(source: Readable, entry: ReturnType<tar.Pack['entry']>): Promise<void> {
  for await (const chunk of source) {
    if (!entry.write(chunk as Uint8Array)) await once(entry as unknown as NodeJS.EventEmitter, 'drain');
  }
  entry.end(undefined);
}

export function blobPathInArchive(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/**
 * Runs `produce` against a fresh archive and returns the tar as a stream; a failure while
 * producing fails the stream.
 */
export function archiveStream(produce: (archive: ArchiveWriter) => Promise<void>): Readable {
  const archive = new ArchiveWriter();
  produce(archive).then(
    () => archive.finish(),
    (error: unknown) => archive.pack.destroy(error as Error),
  );
  // A real Node stream over tar-stream's streamx one; destroying it stops the producer.
  return Readable.from(archive.pack, { objectMode: false });
}

/** Writes a tar stream to `dest` through a temp file beside it, so a failed export leaves no partial file. */
export async function writeArchiveFile(stream: Readable, dest: string): Promise<void> {
  const temp = join(dirname(dest), `.${basename(dest)}.${randomUUID()}.tmp`);
  try {
    await pipeline(stream, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof TsbuildError) throw error;
    throw new TsbuildError('EXPORT_FAILED', `cannot write ${dest}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Every descriptor reachable from `root` (itself, child manifests of an index, config, layers),
 * parents first. Documents are read (and verified) from the store.
 */
export async function reachableDescriptors(store: ContentStore, root: Descriptor): Promise<Descriptor[]> {
  const result: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = async (descriptor: Descriptor): Promise<void> => {
    if (seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    result.push(descriptor);
    if (isIndexMediaType(descriptor.mediaType)) {
      const index = await readDocument<ImageIndex>(store, descriptor);
      for (const child of index.manifests) await visit(child);
    } else if (isManifestMediaType(descriptor.mediaType)) {
      const manifest = await readDocument<ImageManifest>(store, descriptor);
      await visit(manifest.config);
      for (const layer of manifest.layers) await visit(layer);
    }
  };
  await visit(root);
  return result;
}
