import type { Platform } from '../plan.js';

/** The platform tsbuild builds for (the host's) and its `os/arch[/variant]` form: one home, in oci. */
export { formatPlatform, hostPlatform } from '@tsbuild/oci';
import { formatPlatform } from '@tsbuild/oci';

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
