import { TsbuildError } from '@tsbuild/errors';

import type { Platform } from './types.js';

/** Node's process.arch → the OCI/Go architecture name (and variant). */
const NODE_ARCHITECTURES: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
  loong64: { architecture: 'loong64' },
  mips: { architecture: 'mips' },
  mipsel: { architecture: 'mipsle' },
};

/** The platform images are built and pulled for by default: linux on this machine's architecture. */
export function hostPlatform(): Platform {
  const arch = NODE_ARCHITECTURES[process.arch] ?? { architecture: process.arch };
  return { os: 'linux', ...arch };
}

/** `linux/arm64/v8` → a Platform; the os defaults to linux when only an architecture is given. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new TsbuildError('INVALID_PLATFORM', `invalid platform '${text}' (expected os/arch[/variant], e.g. linux/amd64)`);
  }
  const [first = '', second, variant] = parts;
  const platform: Platform = second === undefined ? { os: 'linux', architecture: first } : { os: first, architecture: second };
  if (variant !== undefined) platform.variant = variant;
  return normalizePlatform(platform);
}

/** containerd's normalisation: aliases (x86_64, aarch64) and default variants (arm64/v8 → arm64). */
export function normalizePlatform(platform: Platform): Platform {
  let { architecture, variant } = platform;
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'i386') architecture = '386';
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'armhf') (architecture = 'arm'), (variant = 'v7');
  if (architecture === 'armel') (architecture = 'arm'), (variant = 'v6');
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  const normalized: Platform = { ...platform, os: platform.os.toLowerCase(), architecture };
  if (variant === undefined) delete normalized.variant;
  else normalized.variant = variant;
  return normalized;
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** True when an image for `candidate` runs as `wanted` (same os and architecture, and variant when both name one). */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  const a = normalizePlatform(candidate);
  const b = normalizePlatform(wanted);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  return a.variant === undefined || b.variant === undefined || a.variant === b.variant;
}
