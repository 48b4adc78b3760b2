import { TsbuildError } from '@tsbuild/errors';
import {
  ContentStore,
  defaultRoot,
  describeDocument,
  ImageStore,
  isDigest,
  parseReference,
  type Descriptor,
  type ImageRecord,
} from '@tsbuild/oci';

/** The local stores every image command works on, under $TSBUILD_ROOT (or the default root). */
export function openStores(): { content: ContentStore; images: ImageStore } {
  const root = defaultRoot();
  return { content: new ContentStore(root), images: new ImageStore(root) };
}

export interface FoundImage {
  target: Descriptor;
  /** The names pointing at the image (empty when it was found by digest alone). */
  records: ImageRecord[];
}

const ID_PREFIX = /^(?:sha256:)?[a-f0-9]{4,64}$/;

/**
 * An image as Docker's CLI finds one: by name first (`busybox` is `docker.io/library/busybox:latest`),
 * then by image ID or ID prefix (the manifest digest), then by a full digest in the content store.
 */
export async function findImage(text: string, stores = openStores()): Promise<FoundImage> {
  let byName: ImageRecord | undefined;
  try {
    byName = await stores.images.get(parseReference(text));
  } catch (error) {
    if (!(error instanceof TsbuildError && error.code === 'INVALID_REFERENCE') || !ID_PREFIX.test(text)) throw error;
  }
  if (byName) return { target: byName.target, records: [byName] };
  if (ID_PREFIX.test(text)) {
    const records = await stores.images.findByDigestPrefix(text);
    const digests = new Set(records.map((r) => r.target.digest));
    if (digests.size > 1) throw new TsbuildError('AMBIGUOUS_IMAGE_ID', `image ID '${text}' matches ${digests.size} images; give more digits`);
    const first = records[0];
    if (first) return { target: first.target, records };
    const digest = text.startsWith('sha256:') ? text : `sha256:${text}`;
    if (isDigest(digest) && (await stores.content.has(digest))) return { target: await describeDocument(stores.content, digest), records: [] };
  }
  throw new TsbuildError('IMAGE_NOT_FOUND', `no such image: ${text}`);
}
