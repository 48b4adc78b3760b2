// The size bar: a gzip blob we push is at most 5% larger than buildah's for the same layer.
// Both sides build `FROM scratch` + `COPY data/ /data/` of the same files (real binaries from /usr;
// then JavaScript and JSON text from this repo's node_modules) and push it to a local
// docker-registry; the pushed layer sizes are compared (ours / buildah's; target ≤ 1.05).
// Run as root after `npm run build`: node bench/blob-size.mjs   (BENCH_SIZE_MIB=150 per layer)
import { execFileSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';

import { cli, peers, repo, timed } from './lib/peers.mjs';
import { startRegistry } from './lib/registry.mjs';

const MIB = Number(process.env.BENCH_SIZE_MIB ?? 150);
const work = mkdtempSync(join(tmpdir(), 'tsbuild-bench-blob-size-'));
const peer = peers(work);
let registry;

try {
  registry = await startRegistry(join(work, 'registry'));
  console.log(`gzip blob size of the same layer, pushed (default level on both sides; peer: buildah push):`);
  const layers = [
    { name: 'binaries', label: 'binaries from /usr', roots: ['/usr/lib/x86_64-linux-gnu', '/usr/bin'], keep: () => true },
    { name: 'text', label: 'JS and JSON text', roots: [join(repo, 'node_modules')], keep: (f) => /\.(m?js|cjs|ts|json|md)$/.test(f) },
  ];
  for (const layer of layers) {
    const context = join(work, layer.name);
    const mib = copyUpTo(layer.roots, join(context, 'data'), layer.keep, MIB);
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY data/ /data/\n');
    const ours = `${registry.host}/size/ours-${layer.name}:v1`;
    const theirs = `${registry.host}/size/buildah-${layer.name}:v1`;
    timed(cli, ['build', '-q', '-t', ours, '--push', context], peer.env);
    timed('buildah', [...peer.buildah, 'bud', '--runtime', 'runc', '--format', 'docker', '-q', '-t', `size-${layer.name}`, context]);
    timed('buildah', [...peer.buildah, 'push', '-q', '--tls-verify=false', `size-${layer.name}`, `docker://${theirs}`]);
    const [a, b] = [await layerSize(ours), await layerSize(theirs)];
    const label = `  ${layer.label}, ${mib} MiB`.padEnd(36);
    console.log(`${label} tsbuild ${mb(a)}  buildah ${mb(b)}  ratio ${(a / b).toFixed(3)}  target ≤ 1.05`);
  }
} finally {
  await registry?.stop();
  peer.cleanup();
}

/** Copies regular files from `roots` (recursively, in name order) until `mib` MiB; returns the MiB copied. */
function copyUpTo(roots, dest, keep, mib) {
  let bytes = 0;
  const visit = (dir, root) => {
    for (const name of readdirSync(dir).sort()) {
      if (bytes >= mib * 1024 * 1024) return;
      const from = join(dir, name);
      const info = lstatSync(from);
      if (info.isDirectory()) visit(from, root);
      else if (info.isFile() && keep(name)) {
        const to = join(dest, basename(root), relative(root, from));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(from, to);
        bytes += info.size;
      }
    }
  };
  for (const root of roots) visit(root, root);
  return Math.round(bytes / 1024 / 1024);
}

/** The size of the one layer of the image pushed as `ref` (host/repo:tag), from its manifest. */
async function layerSize(ref) {
  const [host, ...rest] = ref.split('/');
  const [path, tag] = rest.join('/').split(':');
  const response = await fetch(`http://${host}/v2/${path}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  const manifest = await response.json();
  if (manifest.layers.length !== 1) throw new Error(`${ref}: expected one layer, got ${manifest.layers.length}`);
  return manifest.layers[0].size;
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`.padStart(9);
}
