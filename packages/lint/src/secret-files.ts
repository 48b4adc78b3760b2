import { lstatSync, openSync, readSync, closeSync, readdirSync } from 'node:fs';
import path from 'node:path';

import picomatch from 'picomatch';
import { openContext } from '@tsbuild/executor';
import type { RawInstruction } from '@tsbuild/frontend';

export interface CopiedSecretFile {
  instruction: RawInstruction;
  /** Path relative to the context. */
  path: string;
  kind: string;
}

const MAX_FILES = 100_000;
const HEAD_BYTES = 64 * 1024;

/** Files whose name says they hold credentials, checked by a look at their content where it can tell. */
const SECRET_FILES: Array<{ test: (name: string, rel: string) => boolean; kind: string; content?: RegExp }> = [
  { test: (n) => /^id_(rsa|dsa|ecdsa|ed25519)$/.test(n), kind: 'SSH private key', content: /PRIVATE KEY/ },
  { test: (n) => /\.(pem|key|p12|pfx)$/.test(n), kind: 'private key', content: /PRIVATE KEY/ },
  { test: (n) => n === '.env' || /^\.env\.[\w-]+$/.test(n), kind: 'environment file with values', content: /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S/m },
  { test: (n) => n === '.npmrc', kind: 'npm token', content: /_authToken\s*=|_auth\s*=/ },
  { test: (n) => n === '.netrc' || n === '.git-credentials', kind: 'login credentials', content: /password|:\/\/[^/\s]+:[^@\s]+@/ },
  { test: (_n, rel) => /(^|\/)\.aws\/credentials$/.test(rel), kind: 'AWS credentials', content: /aws_secret_access_key/ },
  { test: (_n, rel) => /(^|\/)\.docker\/config\.json$/.test(rel), kind: 'Docker registry credentials', content: /"auth"\s*:/ },
];

/**
 * The kind of credentials file `relPath` is, judged by its name and the start of its content;
 * undefined when it is not one. In an image, `.env` files are left to the content scan (images
 * ship example and default ones).
 */
export function credentialFileKind(relPath: string, head: string, options: { envFiles?: boolean } = {}): string | undefined {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  const rule = SECRET_FILES.find((r) => r.test(name, relPath) && (options.envFiles !== false || r.kind !== 'environment file with values'));
  return rule && (!rule.content || rule.content.test(head)) ? rule.kind : undefined;
}

/**
 * The secret files of the context (after .dockerignore) that a COPY/ADD from the context selects,
 * each reported at the first instruction that copies it.
 */
export function secretFilesCopied(instructions: RawInstruction[], contextDir: string, dockerfilePath?: string): CopiedSecretFile[] {
  const context = openContext(contextDir, dockerfilePath ? { dockerfilePath } : {});
  const candidates = findSecretFiles(context.root, (rel) => context.isExcluded(rel));
  const found: CopiedSecretFile[] = [];
  const reported = new Set<string>();
  for (const raw of instructions) {
    if ((raw.keyword !== 'COPY' && raw.keyword !== 'ADD') || raw.flags.some((f) => f.startsWith('--from='))) continue;
    const sources = raw.args.slice(0, -1).filter((s) => !/^\d*<</.test(s) && !/^[a-z]+:\/\//i.test(s));
    for (const candidate of candidates) {
      if (reported.has(candidate.path) || !sources.some((s) => selects(s, candidate.path))) continue;
      reported.add(candidate.path);
      found.push({ instruction: raw, ...candidate });
    }
  }
  return found;
}

function selects(source: string, file: string): boolean {
  const cleaned = path.posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (cleaned === '.' || cleaned === '') return true;
  if (file === cleaned || file.startsWith(`${cleaned}/`)) return true;
  const matcher = picomatch(cleaned, { dot: true });
  return file.split('/').some((_, i, parts) => matcher(parts.slice(0, i + 1).join('/')));
}

function findSecretFiles(root: string, excluded: (rel: string) => boolean): Array<{ path: string; kind: string }> {
  const found: Array<{ path: string; kind: string }> = [];
  let seen = 0;
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (excluded(child) || ++seen > MAX_FILES) continue;
      const stat = lstatSync(path.join(root, child));
      if (stat.isDirectory()) {
        if (name !== '.git' && name !== 'node_modules') walk(child);
        continue;
      }
      if (!stat.isFile()) continue;
      const rule = SECRET_FILES.find((r) => r.test(name, child));
      if (rule && (!rule.content || rule.content.test(head(path.join(root, child))))) found.push({ path: child, kind: rule.kind });
    }
  };
  walk('');
  return found;
}

function head(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    return buffer.subarray(0, readSync(fd, buffer, 0, HEAD_BYTES, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
