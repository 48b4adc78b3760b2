import { chainIds, type Descriptor, type ImageConfig } from '@tsbuild/oci';

/** A layer of an image being built: its diffID (uncompressed) and the blob that holds it. */
export interface ChainLayer {
  diffId: string;
  blob: Descriptor;
}

/** The state of a stage between steps: its layers (oldest first) and its image config. */
export interface ImageState {
  layers: ChainLayer[];
  config: ImageConfig;
  /**
   * When the newest layer was made (a cache hit keeps the time of the build that filled the
   * cache), so an unchanged rebuild gives the same image digest.
   */
  created?: string;
}

export function chainIdsOf(state: ImageState): string[] {
  return chainIds(state.layers.map((l) => l.diffId));
}
