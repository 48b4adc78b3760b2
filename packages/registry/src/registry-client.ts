import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';
import {
  ContentStore,
  detectManifestMediaType,
  hostPlatform,
  ImageStore,
  isIndexMediaType,
  isManifestMediaType,
  loadImage,
  MediaTypes,
  parseReference,
  Reference,
  selectManifest,
  sha256Digest,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '@tsbuild/oci';
import pLimit from 'p-limit';

import { DEFAULT_RETRY, errorDetail, headerValue, registryError, RegistrySession, TransientError, withRetries, type RegistryResponse, type RetryPolicy } from './client.js';
import { emptyHostsConfig, endpointsFor, type RegistryHostsConfig } from './config.js';
import type { CredentialsProvider } from './credentials.js';
import { KnownLocations } from './locations.js';
import { countBytes, type ProgressListener } from './progress.js';

export interface RegistryClientOptions {
  /** The tsbuild root: the content store's home and where known blob locations are kept. */
  root: string;
  hosts?: RegistryHostsConfig;
  credentials?: CredentialsProvider;
  retry?: RetryPolicy;
  /** Blobs moved at once (default 4). */
  concurrency?: number;
  /** Blobs up to this size are uploaded with one PUT; larger ones in PATCH chunks (default 16 MiB). */
  monolithicLimit?: number;
  /** PATCH chunk size (default 16 MiB). */
  chunkSize?: number;
  onProgress?: ProgressListener;
  /** The platform picked from an index (default linux/host arch). */
  platform?: Platform;
}

export interface PulledImage {
  reference: Reference;
  /** The platform manifest pulled. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** What the reference named: the index when it was one, else the manifest. */
  top: Descriptor;
}

export interface PushedImage {
  reference: Reference;
  descriptor: Descriptor;
}

const MANIFEST_ACCEPT = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MIB = 1024 * 1024;

/** A place a repository is reached: a base URL and the authenticated session for its host. */
interface Endpoint {
  base: string;
  session: RegistrySession;
  /** `127.0.0.1:5000` or `127.0.0.1:5000 (mirror of docker.io)`, for messages. */
  label: string;
}

/** Pulls images into, and pushes images from, the local content store. */
export class RegistryClient {
  readonly store: ContentStore;
  readonly images: ImageStore;
  private readonly locations: KnownLocations;
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly hosts: RegistryHostsConfig;
  /** `registry/repository@digest` of blobs uploadStream put there during this client's life. */
  private readonly streamed = new Set<string>();

  constructor(private readonly options: RegistryClientOptions) {
    this.store = new ContentStore(options.root);
    this.images = new ImageStore(options.root);
    this.locations = new KnownLocations(options.root);
    this.hosts = options.hosts ?? emptyHostsConfig();
  }

  /** Fetches the image `ref` names (its mirrors first), stores every blob verified, and tags it. */
  async pull(ref: Reference | string): Promise<PulledImage> {
    const reference = typeof ref === 'string' ? parseReference(ref) : ref;
    const endpoints = this.endpoints(reference.registry, 'pull');
    let lastError: unknown;
    const passedOver: string[] = [];
    for (const [i, endpoint] of endpoints.entries()) {
      let top: { descriptor: Descriptor; bytes: Buffer };
      try {
        top = await this.fetchManifest(endpoint, reference, reference.tagOrDigest);
      } catch (error) {
        // A mirror that lacks the image or is down is passed over; the registry itself is the last word.
        if (i < endpoints.length - 1 && error instanceof TsbuildError && ['REGISTRY_NOT_FOUND', 'REGISTRY_ERROR', 'REGISTRY_UNREACHABLE'].includes(error.code)) {
          lastError = error;
          passedOver.push(`${endpoint.label}: ${error.code === 'REGISTRY_NOT_FOUND' ? 'not found' : 'failed'}`);
          continue;
        }
        // Docker Hub out of reach and no mirror set: say how to set one.
        if (endpoints.length === 1 && reference.registry === 'docker.io' && error instanceof TsbuildError && error.code === 'REGISTRY_UNREACHABLE') {
          throw new TsbuildError(error.code, `${error.message} (no mirror of docker.io is set: --registry-mirror URL or TSBUILD_REGISTRY_MIRRORS)`, { kind: error.kind, cause: error });
        }
        // Say what the mirrors answered too: "not on the mirror, and docker.io unreachable" is the real story.
        if (passedOver.length > 0 && error instanceof TsbuildError) {
          throw new TsbuildError(error.code, `${error.message} (tried first: ${passedOver.join('; ')})`, { kind: error.kind, cause: error });
        }
        throw error;
      }
      return this.pullFrom(endpoint, reference, top);
    }
    throw lastError;
  }

  /** The manifest `ref` names, stored verified, without its blobs (for artifacts such as a build cache). */
  async resolveManifest(ref: Reference | string): Promise<{ reference: Reference; descriptor: Descriptor; manifest: ImageManifest }> {
    const reference = typeof ref === 'string' ? parseReference(ref) : ref;
    const [endpoint] = this.endpoints(reference.registry, 'push');
    if (!endpoint) throw new TsbuildError('REGISTRY_ERROR', `no endpoint for ${reference.registry}`);
    const top = await this.fetchManifest(endpoint, reference, reference.tagOrDigest);
    if (!isManifestMediaType(top.descriptor.mediaType)) {
      throw new TsbuildError('UNSUPPORTED_MEDIA_TYPE', `${reference}: '${top.descriptor.mediaType}' is not an image manifest`);
    }
    await this.store.write(top.bytes, { digest: top.descriptor.digest, size: top.descriptor.size });
    return { reference, descriptor: top.descriptor, manifest: parseJson<ImageManifest>(top.bytes, reference) };
  }

  /** Fetches blobs of `ref`'s repository into the store (verified), skipping those present. */
  async fetchBlobs(ref: Reference | string, blobs: Descriptor[]): Promise<void> {
    const reference = typeof ref === 'string' ? parseReference(ref) : ref;
    const [endpoint] = this.endpoints(reference.registry, 'push');
    if (!endpoint) throw new TsbuildError('REGISTRY_ERROR', `no endpoint for ${reference.registry}`);
    const limit = pLimit(this.options.concurrency ?? 4);
    await Promise.all(blobs.map((blob) => limit(() => this.fetchBlob(endpoint, reference, blob))));
  }

  private async pullFrom(endpoint: Endpoint, reference: Reference, top: { descriptor: Descriptor; bytes: Buffer }): Promise<PulledImage> {
    const documents = [top];
    let current = top;
    for (let depth = 0; isIndexMediaType(current.descriptor.mediaType); depth++) {
      if (depth > 4) throw new TsbuildError('INVALID_MANIFEST', `${reference}: index nests too deeply`);
      const index = parseJson<ImageIndex>(current.bytes, reference);
      const chosen = selectManifest(index, current.descriptor, this.options.platform ?? hostPlatform());
      current = await this.fetchManifest(endpoint, reference, chosen.digest, chosen);
      documents.push(current);
    }
    if (!isManifestMediaType(current.descriptor.mediaType)) {
      throw new TsbuildError('UNSUPPORTED_MEDIA_TYPE', `${reference}: '${current.descriptor.mediaType}' is not an image manifest or index`);
    }
    const manifest = parseJson<ImageManifest>(current.bytes, reference);
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new TsbuildError('INVALID_MANIFEST', `${reference}: manifest has no config or layers`);
    const limit = pLimit(this.options.concurrency ?? 4);
    const blobs = [manifest.config, ...manifest.layers];
    await Promise.all(blobs.map((blob) => limit(() => this.fetchBlob(endpoint, reference, blob))));
    // Documents last: an image is only in the store once everything it names is.
    for (const doc of documents) await this.store.write(doc.bytes, { digest: doc.descriptor.digest, size: doc.descriptor.size });
    await this.locations.record(reference.registry, reference.repository, blobs.map((b) => b.digest)).catch(() => undefined);
    if (reference.tag !== undefined || reference.digest !== undefined) await this.images.tag(reference, top.descriptor);
    const config = await this.store.readJson<ImageConfig>(manifest.config.digest);
    return { reference, descriptor: current.descriptor, manifest, config, top: top.descriptor };
  }

  private async fetchManifest(endpoint: Endpoint, reference: Reference, tagOrDigest: string, expected?: Descriptor): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
    const what = `${reference.repository}:${tagOrDigest}`.replace(':sha256:', '@sha256:');
    const label = `${endpoint.label}/${what}`;
    return withRetries(this.retry(), label, endpoint.label, async () => {
      const response = await endpoint.session.send({
        method: 'GET',
        url: `${endpoint.base}/v2/${reference.repository}/manifests/${tagOrDigest}`,
        headers: { accept: MANIFEST_ACCEPT },
        what: label,
        repository: reference.repository,
        actions: 'pull',
      });
      if (response.status !== 200) throw registryError(endpoint.label, label, response.status, await errorDetail(response));
      const bytes = await readLimited(response, MAX_MANIFEST_BYTES, label);
      const digest = sha256Digest(bytes);
      const wanted = expected?.digest ?? (tagOrDigest.includes(':') ? tagOrDigest : headerValue(response.headers['docker-content-digest']));
      if (wanted !== undefined && wanted !== digest) {
        throw new TsbuildError('DIGEST_MISMATCH', `${label}: registry ${endpoint.label} sent a manifest with digest ${digest}, expected ${wanted}`);
      }
      const contentType = headerValue(response.headers['content-type'])?.split(';')[0]?.trim();
      const document = parseJson<Partial<ImageManifest & ImageIndex>>(bytes, reference);
      const mediaType = document.mediaType ?? (isManifestMediaType(contentType) || isIndexMediaType(contentType) ? contentType : detectManifestMediaType(document));
      if (mediaType === undefined) throw new TsbuildError('UNSUPPORTED_MEDIA_TYPE', `${label}: registry ${endpoint.label} sent an unknown document type '${contentType}'`);
      return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
    });
  }

  private async fetchBlob(endpoint: Endpoint, reference: Reference, blob: Descriptor): Promise<void> {
    const listener = this.options.onProgress;
    if (await this.store.has(blob.digest)) {
      listener?.({ kind: 'blob-done', digest: blob.digest, size: blob.size, outcome: 'present' });
      return;
    }
    const label = `${endpoint.label}/${reference.repository}@${blob.digest}`;
    listener?.({ kind: 'blob-start', digest: blob.digest, size: blob.size });
    await withRetries(this.retry(), label, endpoint.label, async () => {
      const response = await endpoint.session.send({
        method: 'GET',
        url: `${endpoint.base}/v2/${reference.repository}/blobs/${blob.digest}`,
        what: label,
        repository: reference.repository,
        actions: 'pull',
      });
      if (response.status !== 200) throw registryError(endpoint.label, label, response.status, await errorDetail(response));
      try {
        await this.store.write(countBytes(response.body, blob.digest, blob.size, listener), { digest: blob.digest, size: blob.size });
      } catch (error) {
        response.body.destroy();
        if (error instanceof TsbuildError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH')) {
          throw new TsbuildError(error.code, `${label}: registry ${endpoint.label} sent bad content: ${error.message}`, { cause: error });
        }
        throw error;
      }
    });
    listener?.({ kind: 'blob-done', digest: blob.digest, size: blob.size, outcome: 'fetched' });
  }

  /**
   * Pushes the local image `source` (a manifest or index descriptor, or a local image name) to
   * `target`: blobs the registry lacks are mounted or uploaded, then the manifest is put by tag.
   * An index is pushed as the platform manifest chosen from it.
   */
  async push(source: Descriptor | Reference | string, target: Reference | string): Promise<PushedImage> {
    const reference = typeof target === 'string' ? parseReference(target) : target;
    let descriptor: Descriptor;
    if (typeof source === 'string' || source instanceof Reference) {
      const found = await this.images.resolve(source);
      if (!found) throw new TsbuildError('IMAGE_NOT_FOUND', `no local image '${source.toString()}'`);
      descriptor = found;
    } else {
      descriptor = source;
    }
    const image = await loadImage(this.store, descriptor, this.options.platform ?? hostPlatform());
    const [endpoint] = this.endpoints(reference.registry, 'push');
    if (!endpoint) throw new TsbuildError('REGISTRY_ERROR', `no endpoint for ${reference.registry}`);
    const blobs = [image.manifest.config, ...image.manifest.layers];
    const limit = pLimit(this.options.concurrency ?? 4);
    await Promise.all(blobs.map((blob) => limit(() => this.pushBlob(endpoint, reference, blob))));
    await this.locations.record(reference.registry, reference.repository, blobs.map((b) => b.digest)).catch(() => undefined);
    const bytes = await this.store.readBytes(image.descriptor.digest);
    await this.putManifest(endpoint, reference, image.descriptor, bytes);
    return { reference, descriptor: image.descriptor };
  }

  private async putManifest(endpoint: Endpoint, reference: Reference, descriptor: Descriptor, bytes: Buffer): Promise<void> {
    const tagOrDigest = reference.tag ?? descriptor.digest;
    const label = `${endpoint.label}/${reference.repository}:${tagOrDigest}`;
    const response = await withRetries(this.retry(), label, endpoint.label, async () => {
      const sent = await endpoint.session.send({
        method: 'PUT',
        url: `${endpoint.base}/v2/${reference.repository}/manifests/${tagOrDigest}`,
        headers: { 'content-type': descriptor.mediaType },
        body: () => bytes,
        what: label,
        repository: reference.repository,
        actions: 'pull,push',
        noRetry: true,
      });
      if (sent.status === 201 || sent.status === 200) return sent;
      const detail = await errorDetail(sent);
      // While another push commits one of the manifest's blobs to the same repository, the
      // distribution registry may read that blob's link half-written and refuse the manifest
      // (DIGEST_INVALID, or BLOB_UNKNOWN): a race on its side, gone a moment later.
      if (sent.status === 400 && /^(DIGEST_INVALID|MANIFEST_BLOB_UNKNOWN|BLOB_UNKNOWN)\b/.test(detail)) throw new TransientError(`HTTP 400: ${detail}`);
      throw registryError(endpoint.label, label, sent.status, detail);
    });
    await response.body.dump();
    const returned = headerValue(response.headers['docker-content-digest']);
    if (returned !== undefined && returned !== descriptor.digest) {
      throw new TsbuildError('DIGEST_MISMATCH', `${label}: registry ${endpoint.label} stored the manifest as ${returned}, expected ${descriptor.digest}`);
    }
    this.options.onProgress?.({ kind: 'manifest', digest: descriptor.digest, reference: reference.toString() });
  }

  private async pushBlob(endpoint: Endpoint, reference: Reference, blob: Descriptor): Promise<void> {
    const listener = this.options.onProgress;
    const label = `${endpoint.label}/${reference.repository}@${blob.digest}`;
    const repoUrl = `${endpoint.base}/v2/${reference.repository}`;
    const send = (method: 'HEAD' | 'POST' | 'PUT' | 'PATCH', url: string, extra: Partial<Parameters<RegistrySession['send']>[0]> = {}) =>
      endpoint.session.send({ method, url, what: label, repository: reference.repository, actions: 'pull,push', ...extra });

    if (this.streamed.has(`${reference.registry}/${reference.repository}@${blob.digest}`)) {
      listener?.({ kind: 'blob-done', digest: blob.digest, size: blob.size, outcome: 'uploaded' });
      return;
    }
    const head = await send('HEAD', `${repoUrl}/blobs/${blob.digest}`);
    await head.body.dump();
    if (head.status === 200) {
      listener?.({ kind: 'blob-done', digest: blob.digest, size: blob.size, outcome: 'exists' });
      return;
    }
    if (head.status !== 404) throw registryError(endpoint.label, label, head.status);

    const path = this.store.blobPath(blob.digest);
    // A dropped upload cannot be resumed safely mid-session, so each retry starts a new one.
    const outcome = await withRetries(this.retry(), label, endpoint.label, async (): Promise<'mounted' | 'uploaded'> => {
      let startUrl = `${repoUrl}/blobs/uploads/`;
      const from = (await this.locations.repositoriesWith(blob.digest, reference.registry, reference.repository))[0];
      if (from !== undefined) startUrl += `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`;
      const started = await send('POST', startUrl, {
        headers: { 'content-length': '0' },
        body: () => Buffer.alloc(0),
        ...(from !== undefined ? { extraScopes: [`repository:${from}:pull`] } : {}),
      });
      if (started.status === 201 && from !== undefined) {
        await started.body.dump();
        return 'mounted';
      }
      if (started.status !== 202) throw registryError(endpoint.label, label, started.status, await errorDetail(started));
      await started.body.dump();
      let location = uploadLocation(started, label, endpoint.label);
      listener?.({ kind: 'blob-start', digest: blob.digest, size: blob.size });
      const chunkSize = this.options.chunkSize ?? 16 * MIB;
      if (blob.size > (this.options.monolithicLimit ?? 16 * MIB)) {
        for (let start = 0; start < blob.size; start += chunkSize) {
          const end = Math.min(start + chunkSize, blob.size) - 1;
          const patched = await send('PATCH', location, {
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end}`, 'content-length': String(end - start + 1) },
            body: () => Readable.from(countBytes(createReadStream(path, { start, end }), blob.digest, blob.size, offsetListener(listener, start))),
            noRetry: true,
          });
          if (patched.status !== 202) throw registryError(endpoint.label, label, patched.status, await errorDetail(patched));
          await patched.body.dump();
          location = uploadLocation(patched, label, endpoint.label);
        }
        await this.finishUpload(send, location, blob, label, endpoint.label, undefined);
      } else {
        await this.finishUpload(send, location, blob, label, endpoint.label, () =>
          Readable.from(countBytes(this.store.createReadStream(blob.digest), blob.digest, blob.size, listener)),
        );
      }
      return 'uploaded';
    });
    listener?.({ kind: 'blob-done', digest: blob.digest, size: blob.size, outcome });
  }

  /**
   * Uploads a blob to `target`'s repository while its bytes are still being made (a layer being
   * compressed for this push), as buildah does: POST, one PATCH whose chunked body is `chunks`
   * as they come, then PUT ?digest= with the digest worked out on the way. Not retried: the
   * bytes cannot be read twice, so on failure the caller lets push() upload the stored blob.
   * A later push() to the same repository counts the blob as uploaded without asking again.
   */
  async uploadStream(target: Reference | string, chunks: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
    const reference = typeof target === 'string' ? parseReference(target) : target;
    const [endpoint] = this.endpoints(reference.registry, 'push');
    if (!endpoint) throw new TsbuildError('REGISTRY_ERROR', `no endpoint for ${reference.registry}`);
    const label = `${endpoint.label}/${reference.repository} (streamed layer)`;
    const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, extra: Partial<Parameters<RegistrySession['send']>[0]>) =>
      endpoint.session.send({ method, url, what: label, repository: reference.repository, actions: 'pull,push', noRetry: true, ...extra });

    // One attempt: the bytes cannot be read twice. A dropped connection still gets a message naming the registry.
    const blob = await withRetries({ attempts: 1, baseDelayMs: 0, maxTimeMs: 0 }, label, endpoint.label, async () => {
      const started = await send('POST', `${endpoint.base}/v2/${reference.repository}/blobs/uploads/`, { headers: { 'content-length': '0' }, body: () => Buffer.alloc(0) });
      if (started.status !== 202) throw registryError(endpoint.label, label, started.status, await errorDetail(started));
      await started.body.dump();
      const hashed = new HashedOnce(chunks, label);
      const patched = await send('PATCH', uploadLocation(started, label, endpoint.label), {
        headers: { 'content-type': 'application/octet-stream' },
        body: () => hashed.stream(),
      });
      if (patched.status !== 202) throw registryError(endpoint.label, label, patched.status, await errorDetail(patched));
      await patched.body.dump();
      const sent: Descriptor = { mediaType: 'application/octet-stream', ...hashed.result() };
      await this.finishUpload(send, uploadLocation(patched, label, endpoint.label), sent, label, endpoint.label, undefined);
      return sent;
    });
    this.streamed.add(`${reference.registry}/${reference.repository}@${blob.digest}`);
    await this.locations.record(reference.registry, reference.repository, [blob.digest]).catch(() => undefined);
    return { digest: blob.digest, size: blob.size };
  }

  private async finishUpload(
    send: (method: 'PUT', url: string, extra: Partial<Parameters<RegistrySession['send']>[0]>) => Promise<RegistryResponse>,
    location: string,
    blob: Descriptor,
    label: string,
    registry: string,
    body: (() => Readable) | undefined,
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', blob.digest);
    const headers: Record<string, string> = body
      ? { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) }
      : { 'content-length': '0' };
    const put = await send('PUT', url.toString(), { headers, body: body ?? (() => Buffer.alloc(0)), noRetry: true });
    if (put.status !== 201) throw registryError(registry, label, put.status, await errorDetail(put));
    await put.body.dump();
    const returned = headerValue(put.headers['docker-content-digest']);
    if (returned !== undefined && returned !== blob.digest) {
      throw new TsbuildError('DIGEST_MISMATCH', `${label}: registry ${registry} stored the blob as ${returned}`);
    }
  }

  /** Checks that `registry` accepts `credentials` (GET /v2/ through the auth flow). */
  async checkLogin(registry: string): Promise<void> {
    const [endpoint] = this.endpoints(registry, 'push');
    if (!endpoint) throw new TsbuildError('REGISTRY_ERROR', `no endpoint for ${registry}`);
    const response = await endpoint.session.send({ method: 'GET', url: `${endpoint.base}/v2/`, what: `login to ${registry}`, repository: '', actions: '' });
    if (response.status !== 200) throw registryError(registry, `login to ${registry}`, response.status, await errorDetail(response));
    await response.body.dump();
  }

  private retry(): RetryPolicy {
    return this.options.retry ?? DEFAULT_RETRY;
  }

  private endpoints(registry: string, purpose: 'pull' | 'push'): Endpoint[] {
    return endpointsFor(registry, this.hosts, purpose).map((base) => {
      const host = new URL(base).host;
      const isMirror = base !== endpointsFor(registry, this.hosts, 'push')[0];
      const label = isMirror ? `${host} (mirror of ${registry})` : registry;
      let session = this.sessions.get(base);
      if (!session) {
        session = new RegistrySession(isMirror ? host : registry, this.options.credentials, this.retry());
        this.sessions.set(base, session);
      }
      return { base, session, label };
    });
  }
}

function offsetListener(listener: ProgressListener | undefined, offset: number): ProgressListener | undefined {
  if (!listener) return undefined;
  return (event) => listener(event.kind === 'blob-bytes' ? { ...event, done: event.done + offset } : event);
}

/** A stream of chunks sent once (a second attempt fails), hashed on the way. */
class HashedOnce {
  private readonly hash = createHash('sha256');
  private size = 0;
  private sent = false;
  private complete = false;

  constructor(
    private readonly chunks: AsyncIterable<Uint8Array>,
    private readonly label: string,
  ) {}

  stream(): Readable {
    if (this.sent) throw new TsbuildError('REGISTRY_ERROR', `${this.label}: a streamed upload cannot be sent again`);
    this.sent = true;
    return Readable.from(this.passThrough());
  }

  /** The digest and size of what was sent, once all of it was. */
  result(): { digest: string; size: number } {
    if (!this.complete) throw new TsbuildError('REGISTRY_ERROR', `${this.label}: the registry answered before the whole layer was sent`);
    return { digest: `sha256:${this.hash.digest('hex')}`, size: this.size };
  }

  private async *passThrough(): AsyncIterable<Uint8Array> {
    for await (const chunk of this.chunks) {
      this.hash.update(chunk);
      this.size += chunk.byteLength;
      yield chunk;
    }
    this.complete = true;
  }
}

/** The upload URL from `Location`, which may be relative to the request or absolute. */
function uploadLocation(response: RegistryResponse, label: string, registry: string): string {
  const location = headerValue(response.headers.location);
  if (!location) throw new TsbuildError('REGISTRY_ERROR', `${label}: registry ${registry} started an upload without a Location`);
  return new URL(location, response.url).toString();
}

async function readLimited(response: RegistryResponse, max: number, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      response.body.destroy();
      throw new TsbuildError('REGISTRY_ERROR', `${label}: manifest larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson<T>(bytes: Buffer, reference: Reference): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new TsbuildError('INVALID_MANIFEST', `${reference}: manifest is not valid JSON: ${(error as Error).message}`);
  }
}
