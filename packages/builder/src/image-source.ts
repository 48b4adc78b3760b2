import { TsbuildError } from '@tsbuild/errors';
import { formatPlatform, loadImage, parseReference, type ContentStore, type ImageConfig, type ImageStore, type Platform } from '@tsbuild/oci';
import type { RegistryClient } from '@tsbuild/registry';

import type { ImageState } from './layer-chain.js';

export interface ImageSourceOptions {
  store: ContentStore;
  images: ImageStore;
  registry: RegistryClient;
  /** Always ask the registry (`--pull`), even when the image is here already. */
  pull?: boolean;
  onPulled?: (ref: string, digest: string) => void;
}

/**
 * Base images and `COPY --from=IMAGE` sources: the local image first (unless `--pull`), else
 * pulled from the registry (mirrors included). Each reference is resolved once per build.
 */
export class ImageSource {
  private readonly resolved = new Map<string, Promise<ImageState>>();

  constructor(private readonly options: ImageSourceOptions) {}

  get(ref: string, platform: Platform): Promise<ImageState> {
    const key = `${ref}@${formatPlatform(platform)}`;
    let state = this.resolved.get(key);
    if (!state) {
      state = this.load(ref, platform);
      this.resolved.set(key, state);
    }
    return state;
  }

  private async load(ref: string, platform: Platform): Promise<ImageState> {
    const reference = parseReference(ref);
    if (!this.options.pull) {
      const local = await this.options.images.resolve(reference);
      if (local) {
        const image = await loadImage(this.options.store, local, platform).catch(() => undefined);
        if (image && (await this.hasLayers(image.manifest.layers.map((l) => l.digest)))) return toState(ref, image.manifest.layers, image.config);
      }
    }
    const pulled = await this.options.registry.pull(reference);
    this.options.onPulled?.(reference.toString(), pulled.descriptor.digest);
    return toState(ref, pulled.manifest.layers, pulled.config);
  }

  private async hasLayers(digests: string[]): Promise<boolean> {
    for (const digest of digests) if (!(await this.options.store.has(digest))) return false;
    return true;
  }
}

function toState(ref: string, layers: ImageState['layers'][number]['blob'][], config: ImageConfig): ImageState {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) {
    throw new TsbuildError('INVALID_IMAGE', `image ${ref} has ${layers.length} layers but its config lists ${diffIds.length} diff_ids`);
  }
  return { layers: layers.map((blob, i) => ({ diffId: diffIds[i]!, blob })), config };
}
