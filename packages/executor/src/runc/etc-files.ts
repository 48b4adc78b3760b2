import { readFileSync } from 'node:fs';
import { TsbuildError } from '@tsbuild/errors';
import type { ExtraHost } from './types.js';

/** Used when the host has no usable nameserver, as BuildKit and Docker fall back. */
const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'];

/** BuildKit's generated /etc/hosts: localhost with the hostname, the IPv6 names, then each --add-host. */
export function hostsFile(hostname: string, extraHosts: ExtraHost[] = []): string {
  const lines = [`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const { host, ip } of extraHosts) lines.push(`${ip}\t${host}`);
  return `${lines.join('\n')}\n`;
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * The container's /etc/resolv.conf: the host's as is on the host network; without a network (or when
 * the host's names only loopback servers, which mean nothing in another namespace) loopback
 * nameservers are dropped, and if none is left the public defaults are used.
 */
export function resolvConf(network: 'host' | 'none', hostFile = '/etc/resolv.conf'): string {
  let text = '';
  try {
    text = readFileSync(hostFile, 'utf8');
  } catch {
    // No host resolv.conf: the defaults below apply.
  }
  const lines = text.split('\n').filter((line) => network === 'host' || !isLoopbackNameserver(line));
  const hasNameserver = lines.some((line) => /^\s*nameserver\s+\S/.test(line));
  const kept = lines.join('\n').trim();
  if (hasNameserver) return `${kept}\n`;
  const defaults = DEFAULT_NAMESERVERS.map((address) => `nameserver ${address}`).join('\n');
  return kept === '' ? `${defaults}\n` : `${kept}\n${defaults}\n`;
}

function isLoopbackNameserver(line: string): boolean {
  const match = /^\s*nameserver\s+(\S+)/.exec(line);
  return match !== null && (match[1]!.startsWith('127.') || match[1] === '::1');
}

/** Parses Docker's `--add-host` value `HOST:IP` (or `HOST=IP`); the IP may be IPv6 with colons. */
export function parseExtraHost(value: string): ExtraHost {
  const separator = /[=:]/.exec(value);
  const host = separator ? value.slice(0, separator.index) : '';
  let ip = separator ? value.slice(separator.index + 1) : '';
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (host === '' || ip === '') {
    throw new TsbuildError('INVALID_ADD_HOST', `invalid --add-host "${value}": expected HOST:IP`, { kind: 'usage' });
  }
  return { host, ip };
}
