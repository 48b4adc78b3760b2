import type { Platform } from '../plan.js';

const nodeArchToOci: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

/** The platform tsbuild builds for: the host's, as BuildKit names it. */
export function hostPlatform(): Platform {
  const arch = nodeArchToOci[process.arch] ?? { architecture: process.arch };
  return { os: 'linux', ...arch };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** BuildKit's automatic platform ARGs; with one host platform, BUILD* equals TARGET*. */
export function platformArgs(p: Platform): Map<string, string> {
  const args = new Map<string, string>();
  for (const prefix of ['TARGET', 'BUILD']) {
    args.set(`${prefix}PLATFORM`, formatPlatform(p));
    args.set(`${prefix}OS`, p.os);
    args.set(`${prefix}ARCH`, p.architecture);
    args.set(`${prefix}VARIANT`, p.variant ?? '');
  }
  return args;
}

/** Build args Docker accepts without an ARG declaration; they reach RUN but not the image history. */
export const PROXY_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy',
  'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);
