import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

import { TsbuildError } from '@tsbuild/errors';

/**
 * Where and how to reach registries. Read from `<root>/registries.json`:
 *
 *   { "mirrors": { "docker.io": ["http://127.0.0.1:5000"] }, "insecure": ["myhost:5000"] }
 *
 * plus TSBUILD_REGISTRY_MIRRORS and TSBUILD_INSECURE_REGISTRIES (comma lists) and CLI flags.
 * A mirror entry is `URL` (a mirror of docker.io, like dockerd's --registry-mirror) or
 * `REGISTRY=URL`. Insecure registries and loopback hosts are spoken to over plain HTTP.
 */
export interface RegistryHostsConfig {
  /** Registry host → mirror base URLs, tried in order before the registry itself (pulls only). */
  mirrors: Record<string, string[]>;
  /** Registry hosts (host[:port]) reached over plain HTTP. */
  insecure: string[];
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

export function emptyHostsConfig(): RegistryHostsConfig {
  return { mirrors: {}, insecure: [] };
}

/** The config file, then the environment, then `extra` (flags), merged. */
export async function loadHostsConfig(root: string, extra: { mirrors?: string[]; insecure?: string[] } = {}, env = process.env): Promise<RegistryHostsConfig> {
  const config = emptyHostsConfig();
  const file = join(root, 'registries.json');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new TsbuildError('REGISTRY_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
  }
  if (text !== undefined) {
    let parsed: Partial<RegistryHostsConfig>;
    try {
      parsed = JSON.parse(text) as Partial<RegistryHostsConfig>;
    } catch (error) {
      throw new TsbuildError('REGISTRY_CONFIG', `${file} is not valid JSON: ${(error as Error).message}`);
    }
    for (const [host, urls] of Object.entries(parsed.mirrors ?? {})) for (const url of urls) addMirror(config, `${host}=${url}`);
    config.insecure.push(...(parsed.insecure ?? []));
  }
  for (const entry of [...commaList(env.TSBUILD_REGISTRY_MIRRORS), ...(extra.mirrors ?? [])]) addMirror(config, entry);
  config.insecure.push(...commaList(env.TSBUILD_INSECURE_REGISTRIES), ...(extra.insecure ?? []));
  return config;
}

function commaList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function addMirror(config: RegistryHostsConfig, entry: string): void {
  const eq = entry.indexOf('=');
  const host = eq > 0 ? entry.slice(0, eq) : DOCKER_HUB;
  let url = eq > 0 ? entry.slice(eq + 1) : entry;
  if (!/^https?:\/\//.test(url)) url = `${isPlainHttpHost(hostOf(url), config) ? 'http' : 'https'}://${url}`;
  try {
    new URL(url);
  } catch {
    throw new TsbuildError('REGISTRY_CONFIG', `invalid registry mirror '${entry}'`, { kind: 'usage' });
  }
  (config.mirrors[host] ??= []).push(url.replace(/\/+$/, ''));
}

function hostOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  return hostPort.split(/[:/]/)[0] ?? hostPort;
}

/** Loopback addresses and names, and registries named insecure, are spoken to over HTTP. */
export function isPlainHttpHost(registry: string, config: RegistryHostsConfig): boolean {
  if (config.insecure.includes(registry)) return true;
  const host = hostOf(registry);
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Base URLs to try for `registry`: its mirrors (when pulling), then the registry itself. */
export function endpointsFor(registry: string, config: RegistryHostsConfig, purpose: 'pull' | 'push'): string[] {
  const direct = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  const own = `${isPlainHttpHost(registry, config) ? 'http' : 'https'}://${direct}`;
  return purpose === 'pull' ? [...(config.mirrors[registry] ?? []), own] : [own];
}
