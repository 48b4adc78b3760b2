import tar from 'tar-stream';
import { loadImage, type ContentStore, type Descriptor, type HistoryEntry } from '@tsbuild/oci';
import { decompressedTar } from '@tsbuild/snapshot';

import type { Finding } from './finding.js';
import { ruleInfo } from './rules.js';
import { findSecrets, looksLikeSecretName, namesPublicKeyMaterial } from './secrets.js';
import { credentialFileKind } from './secret-files.js';

export interface ImageScan {
  findings: Finding[];
  layers: number;
  /** Bytes of file content over all layers, and those that a later layer deleted or overwrote. */
  totalBytes: number;
  wastedBytes: number;
  /** 1 - wasted / total, as dive reports it. */
  efficiency: number;
}

export interface ScanOptions {
  /** Files above this are counted for size but not read for secrets (default 1 MiB). */
  maxScanBytes?: number;
  /** Wasted copies smaller than this are counted in the total only (default 64 KiB). */
  minReportedWaste?: number;
}

interface Owner {
  layer: number;
  size: number;
}

/** Where a layer came from: its history entry and, for images tsbuild built, the Dockerfile line. */
interface LayerOrigin {
  createdBy: string;
  file?: string;
  line?: number;
}

/**
 * Scans the final image: every file of every layer (also those a later layer deletes or
 * overwrites) for secrets, the bytes each superseded copy wastes, and the config and history for
 * secrets and build-arg values. Layers are streamed; memory does not grow with their size.
 */
export async function scanImage(store: ContentStore, target: Descriptor, options: ScanOptions = {}): Promise<ImageScan> {
  const image = await loadImage(store, target);
  const origins = layerOrigins(image.config.history ?? [], image.manifest.layers.length);
  const findings: Finding[] = [];
  const files = new Map<string, Owner>();
  let totalBytes = 0;
  let wastedBytes = 0;
  const minWaste = options.minReportedWaste ?? 64 * 1024;

  const supersede = (path: string, by: number, how: string) => {
    const owner = files.get(path);
    // Whiteouts hide lower layers only; the layer's own entries (in any tar order) stay.
    if (!owner || owner.layer >= by) return;
    files.delete(path);
    wastedBytes += owner.size;
    if (owner.size >= minWaste) {
      findings.push(finding('WastedSpace', `/${path} (${owner.size} bytes) added by ${describe(origins[owner.layer])} is ${how} in layer ${by}, but its bytes still ship`, origins[owner.layer], {
        layer: owner.layer, digest: image.manifest.layers[owner.layer]!.digest, path: `/${path}`, bytes: owner.size,
      }));
    }
  };
  const supersedeTree = (dir: string, by: number, how: string) => {
    for (const path of [...files.keys()]) if (dir === '' || path === dir || path.startsWith(`${dir}/`)) supersede(path, by, how);
  };

  for (const [index, layer] of image.manifest.layers.entries()) {
    const origin = origins[index];
    const seen = new Set<string>();
    await forEachEntry(store, layer, async (header, read) => {
      const name = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      const slash = name.lastIndexOf('/');
      const dir = slash < 0 ? '' : name.slice(0, slash);
      const base = name.slice(slash + 1);
      if (base === '.wh..wh..opq') return supersedeTree(dir, index, 'hidden (opaque directory)');
      if (base.startsWith('.wh.')) return supersedeTree(joinPath(dir, base.slice(4)), index, 'deleted');
      if (files.has(name) && !seen.has(name)) supersede(name, index, 'overwritten');
      seen.add(name);
      if (header.type !== 'file' && header.type !== 'contiguous-file') return;
      const size = header.size ?? 0;
      totalBytes += size;
      files.set(name, { layer: index, size });
      if (size === 0 || size > (options.maxScanBytes ?? 1024 * 1024)) return;
      const content = await read();
      if (content.subarray(0, 8192).includes(0)) return; // binary
      const text = content.toString('utf8');
      // Known token formats first; then credential files (Docker/AWS/npm/netrc) whose format no detector knows.
      const kind = (await findSecrets(text, `/${name}`))[0]?.kind ?? credentialFileKind(name, text, { envFiles: false });
      if (kind !== undefined) {
        findings.push(finding('SecretInLayer', `/${name} in layer ${index} (${describe(origin)}) holds a ${kind}`, origin, {
          layer: index, digest: layer.digest, path: `/${name}`, bytes: size,
        }));
      }
    });
  }
  findings.push(...(await configFindings(image.config.config?.Env ?? [], image.config.config?.Labels ?? {})));
  findings.push(...(await historyFindings(image.config.history ?? [])));
  return { findings, layers: image.manifest.layers.length, totalBytes, wastedBytes, efficiency: totalBytes === 0 ? 1 : 1 - wastedBytes / totalBytes };
}

function finding(rule: string, message: string, origin: LayerOrigin | undefined, extra: Partial<Finding>): Finding {
  const info = ruleInfo(rule);
  return {
    rule,
    category: info.category,
    severity: info.severity,
    message,
    ...(origin?.file ? { file: origin.file } : {}),
    ...(origin?.line ? { line: origin.line } : {}),
    ...extra,
  };
}

function describe(origin: LayerOrigin | undefined): string {
  if (!origin) return 'an unknown step';
  const by = origin.createdBy.replace(/\s+# buildkit$/, '');
  const short = by.length > 60 ? `${by.slice(0, 57)}...` : by;
  return origin.file ? `${short} (${origin.file}:${origin.line})` : short;
}

/** The history entry of each layer (entries with empty_layer have none). */
function layerOrigins(history: HistoryEntry[], layers: number): Array<LayerOrigin | undefined> {
  const withLayers = history.filter((h) => !h.empty_layer);
  return Array.from({ length: layers }, (_, i) => {
    const entry = withLayers[i];
    if (!entry) return undefined;
    const match = /^tsbuild\.dockerfile\.v0 (.+):(\d+)$/.exec(entry.comment ?? '');
    return { createdBy: entry.created_by ?? '', ...(match ? { file: match[1]!, line: Number(match[2]) } : {}) };
  });
}

async function configFindings(env: string[], labels: Record<string, string>): Promise<Finding[]> {
  const findings: Finding[] = [];
  const entries: Array<[string, string, string]> = [
    ...env.map((e): [string, string, string] => ['Env', e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)]),
    ...Object.entries(labels).map(([k, v]): [string, string, string] => ['Labels', k, v]),
  ];
  for (const [where, name, value] of entries) {
    const secrets = await findSecrets(`${name}=${value}`);
    if (secrets.length > 0) findings.push(finding('SecretInImageConfig', `config ${where} ${name} holds a ${secrets[0]!.kind}`, undefined, {}));
    else if (where === 'Env' && looksLikeSecretName(name) && !namesPublicKeyMaterial(name) && value !== '' && !/^(\/|\$|https?:\/\/)/.test(value)) {
      findings.push(finding('SecretInImageConfig', `config Env ${name} looks like a secret and has a value`, undefined, {}));
    }
  }
  return findings;
}

/** `RUN |2 A=1 B=2 /bin/sh -c …`: BuildKit records the build args a RUN saw in created_by. */
async function historyFindings(history: HistoryEntry[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const entry of history) {
    const createdBy = entry.created_by ?? '';
    const match = /^RUN \|(\d+) /.exec(createdBy);
    const words = match ? createdBy.slice(match[0].length).split(' ').slice(0, Number(match[1])) : [];
    // The command itself: a token written inline in a RUN of any image (not only ours) shows here.
    const command = match ? createdBy.slice(match[0].length).split(' ').slice(words.length).join(' ') : createdBy;
    // ENV and LABEL entries repeat the config, which SecretInImageConfig reports already.
    const repeatsConfig = /^(\/bin\/sh -c #\(nop\)\s+)?(ENV|LABEL)\s/.test(createdBy);
    const inline = command && !repeatsConfig ? await findSecrets(command) : [];
    if (inline.length > 0) {
      const location = /^tsbuild\.dockerfile\.v0 (.+):(\d+)$/.exec(entry.comment ?? '');
      findings.push(finding('SecretInHistory', `a history entry's command holds a ${inline[0]!.kind}`, location ? { createdBy: '', file: location[1]!, line: Number(location[2]) } : undefined, {}));
    }
    for (const word of words) {
      const eq = word.indexOf('=');
      const name = word.slice(0, eq);
      const value = word.slice(eq + 1);
      const secrets = value ? await findSecrets(word) : [];
      if (secrets.length > 0 || (looksLikeSecretName(name) && !namesPublicKeyMaterial(name) && value !== '')) {
        const location = /^tsbuild\.dockerfile\.v0 (.+):(\d+)$/.exec(entry.comment ?? '');
        findings.push(finding('BuildArgInHistory', `build arg ${name} reached the image history${secrets.length ? ` (a ${secrets[0]!.kind})` : ''}`, location ? { createdBy: '', file: location[1]!, line: Number(location[2]) } : undefined, {}));
      }
    }
  }
  return findings;
}

type EntryVisitor = (header: tar.Header, read: () => Promise<Buffer>) => Promise<void>;

/** Streams a layer's entries; `read` collects an entry's body (only called for small files). */
async function forEachEntry(store: ContentStore, layer: Descriptor, visit: EntryVisitor): Promise<void> {
  const input = await decompressedTar(store.createReadStream(layer.digest), `layer ${layer.digest}`);
  const extract = tar.extract();
  input.on('error', (error) => extract.destroy(error));
  input.pipe(extract);
  for await (const entry of extract) {
    let consumed = false;
    const read = async () => {
      consumed = true;
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    await visit(entry.header, read);
    if (!consumed) entry.resume();
  }
}

function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
