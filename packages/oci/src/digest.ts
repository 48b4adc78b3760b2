import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';

/** The only algorithm tsbuild stores and verifies; OCI allows others, registries rarely use them. */
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** `sha256:<hex>` of bytes or of a string's UTF-8 encoding. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function isDigest(s: string): boolean {
  return DIGEST_PATTERN.test(s);
}

/** Throws INVALID_DIGEST unless `s` is a `sha256:<64 lowercase hex>` digest. */
export function assertDigest(s: string): void {
  if (!isDigest(s)) throw new TsbuildError('INVALID_DIGEST', `invalid digest '${s}' (expected sha256:<64 hex digits>)`);
}

/** The hex part of a digest: `sha256:abc…` → `abc…`. */
export function digestHex(d: string): string {
  assertDigest(d);
  return d.slice('sha256:'.length);
}

/**
 * Layer chain IDs (image-spec config.md): ChainID(L0) = DiffID(L0),
 * ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 */
export function chainIds(diffIds: string[]): string[] {
  const result: string[] = [];
  for (const diffId of diffIds) {
    const previous = result[result.length - 1];
    result.push(previous === undefined ? diffId : sha256Digest(`${previous} ${diffId}`));
  }
  return result;
}

/** The chain ID of the whole layer stack, or undefined for an image with no layers. */
export function chainId(diffIds: string[]): string | undefined {
  return chainIds(diffIds).at(-1);
}

/** Incremental sha256 + byte count, for code that already has the chunks in hand. */
export class Digester {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
  }

  /** Finishes the hash; call once. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it. After 'finish'
 * (or 'end'), `digest()` and `size` describe every byte that passed.
 */
export class DigestingStream extends Transform {
  private readonly digester = new Digester();
  private result: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.digester.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = this.digester.digest();
    callback();
  }

  get size(): number {
    return this.digester.size;
  }

  /** The digest of everything that passed; throws if the stream has not finished. */
  digest(): string {
    if (this.result === undefined) throw new Error('DigestingStream.digest() called before the stream finished');
    return this.result;
  }
}

/** Hashes a whole stream or iterable without keeping it. */
export async function digestOf(source: AsyncIterable<Uint8Array> | Uint8Array): Promise<{ digest: string; size: number }> {
  const digester = new Digester();
  if (source instanceof Uint8Array) digester.update(source);
  else for await (const chunk of source) digester.update(chunk);
  return { digest: digester.digest(), size: digester.size };
}
