import { mkdirSync } from 'node:fs';

import { TsbuildError } from '@tsbuild/errors';
import { loadImage, writeDockerArchive, writeOciArchive, writeOciLayout, type ContentStore, type Descriptor, type Reference } from '@tsbuild/oci';
import { applyLayer } from '@tsbuild/snapshot';

export interface BuildOutput {
  type: 'oci' | 'docker' | 'oci-layout' | 'local';
  dest: string;
}

const TYPES = new Set(['oci', 'docker', 'oci-layout', 'local']);

/** docker buildx `--output`: `type=T,dest=PATH`, or a bare path meaning an OCI archive. */
export function parseOutputs(specs: string[] | undefined): BuildOutput[] {
  // type=image is the local store every build writes (push=true is --push): nothing more to export.
  return (specs ?? []).filter((spec) => !/(^|,)type=image(,|$)/.test(spec)).map((spec) => {
    if (!spec.includes('=')) return { type: 'oci', dest: spec };
    const fields = new Map(spec.split(',').map((kv) => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq), kv.slice(eq + 1)] as [string, string];
    }));
    const type = fields.get('type') ?? 'oci';
    const dest = fields.get('dest');
    if (!TYPES.has(type)) throw new TsbuildError('USAGE', `build: --output type must be oci, docker, oci-layout or local, not "${type}"`, { kind: 'usage' });
    if (!dest) throw new TsbuildError('USAGE', `build: --output ${spec} needs dest=PATH`, { kind: 'usage' });
    return { type: type as BuildOutput['type'], dest };
  });
}

/** Writes the built image where `--output` asked. */
export async function exportImage(store: ContentStore, target: Descriptor, names: Reference[], output: BuildOutput): Promise<void> {
  const image = { target, names };
  switch (output.type) {
    case 'oci':
      return writeOciArchive(store, image, output.dest);
    case 'docker':
      return writeDockerArchive(store, image, output.dest);
    case 'oci-layout':
      return writeOciLayout(store, image, output.dest);
    case 'local': {
      // The image's file system, layer by layer, whiteouts applied as deletions.
      mkdirSync(output.dest, { recursive: true });
      const loaded = await loadImage(store, target);
      for (const layer of loaded.manifest.layers) await applyLayer(store.createReadStream(layer.digest), output.dest, { name: `layer ${layer.digest}` });
      return;
    }
  }
}
