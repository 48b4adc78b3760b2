import { createHash, randomBytes, type Hash } from 'node:crypto';
import { chmodSync, chownSync, createWriteStream, renameSync, rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsbuildError, type SourceLocation } from '@tsbuild/errors';
import type { ModeChange } from './chmod.js';
import type { Owner } from './owner.js';
import { clearFileTarget } from './fs-write.js';

export interface ExpectedChecksum {
  algorithm: 'sha256' | 'sha384' | 'sha512';
  hex: string;
}

/** `--checksum=sha256:<hex>` (sha384 and sha512 too, as BuildKit accepts digests). */
export function parseChecksum(value: string, location?: SourceLocation): ExpectedChecksum {
  const match = /^(sha256|sha384|sha512):([a-f0-9]+)$/.exec(value);
  const lengths = { sha256: 64, sha384: 96, sha512: 128 } as const;
  const algorithm = match?.[1] as ExpectedChecksum['algorithm'] | undefined;
  if (!match || algorithm === undefined || (match[2] as string).length !== lengths[algorithm]) {
    throw new TsbuildError('ADD_CHECKSUM_INVALID', `invalid --checksum "${value}": expected sha256:<64 hex digits>`, { location });
  }
  return { algorithm, hex: match[2] as string };
}

export interface DownloadOptions {
  checksum?: ExpectedChecksum;
  owner: Owner;
  modeChange: ModeChange | undefined;
  location?: SourceLocation;
  signal?: AbortSignal;
}

/**
 * Downloads `url` to `target` as ADD does: streamed to a temporary file beside it, verified
 * against the checksum before it takes the target's name, mode 0600 unless --chmod, mtime from
 * Last-Modified. Archives are not extracted (Docker semantics for URLs).
 */
export async function downloadTo(url: URL, target: string, options: DownloadOptions): Promise<void> {
  const response = await get(url, options);
  const partial = path.join(path.dirname(target), `.tsbuild-download-${randomBytes(6).toString('hex')}`);
  const hash = createHash(options.checksum?.algorithm ?? 'sha256');
  try {
    await pipeline(bodyOf(response), hashing(hash), createWriteStream(partial, { mode: 0o600 }), { signal: options.signal });
    verify(url, hash, options);
    clearFileTarget(target, options.location);
    renameSync(partial, target);
  } catch (cause) {
    rmSync(partial, { force: true });
    if (cause instanceof TsbuildError) throw cause;
    throw downloadError(url, cause, options.location);
  }
  chownSync(target, options.owner.uid, options.owner.gid);
  chmodSync(target, options.modeChange ? options.modeChange(0o600, false) : 0o600);
  const lastModified = Date.parse(response.headers.get('last-modified') ?? '');
  if (Number.isFinite(lastModified)) utimesSync(target, lastModified / 1000, lastModified / 1000);
}

/** `sha256:<hex>` of what `url` serves, read as a stream (for the cache key when no --checksum). */
export async function urlContentDigest(url: URL, location?: SourceLocation, signal?: AbortSignal): Promise<string> {
  const response = await get(url, { location, signal });
  const hash = createHash('sha256');
  try {
    for await (const chunk of bodyOf(response)) hash.update(chunk as Buffer);
  } catch (cause) {
    throw downloadError(url, cause, location);
  }
  return `sha256:${hash.digest('hex')}`;
}

async function get(url: URL, options: { location?: SourceLocation; signal?: AbortSignal }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: options.signal });
  } catch (cause) {
    throw downloadError(url, cause, options.location);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new TsbuildError('ADD_DOWNLOAD_FAILED', `failed to download ${url.href}: HTTP ${response.status} ${response.statusText}`.trim(), {
      location: options.location,
    });
  }
  return response;
}

function bodyOf(response: Response): Readable {
  if (response.body === null) return Readable.from([]);
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

function hashing(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

function verify(url: URL, hash: Hash, options: DownloadOptions): void {
  const actual = hash.digest('hex');
  const expected = options.checksum;
  if (expected && expected.hex !== actual) {
    throw new TsbuildError(
      'ADD_CHECKSUM_MISMATCH',
      `checksum mismatch for ${url.href}: expected ${expected.algorithm}:${expected.hex}, got ${expected.algorithm}:${actual}`,
      { location: options.location },
    );
  }
}

function downloadError(url: URL, cause: unknown, location?: SourceLocation): TsbuildError {
  const reason = (cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message;
  return new TsbuildError('ADD_DOWNLOAD_FAILED', `failed to download ${url.href}: ${reason}`, { location, cause });
}
