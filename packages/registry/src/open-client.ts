import { defaultRoot } from '@tsbuild/oci';

import { loadHostsConfig } from './config.js';
import { dockerCredentials } from './credentials.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export interface OpenClientOptions extends Partial<RegistryClientOptions> {
  /** Extra mirrors (`URL` for docker.io, or `REGISTRY=URL`), as --registry-mirror gives them. */
  mirrors?: string[];
  /** Extra insecure registries, as --insecure-registry gives them. */
  insecure?: string[];
}

/**
 * A client as the CLI uses one: the default root, registries.json + environment + flags, and
 * credentials from the Docker config file.
 */
export async function openRegistryClient(options: OpenClientOptions = {}): Promise<RegistryClient> {
  const root = options.root ?? defaultRoot();
  const { mirrors, insecure, ...rest } = options;
  const hosts = options.hosts ?? (await loadHostsConfig(root, { mirrors: mirrors ?? [], insecure: insecure ?? [] }));
  return new RegistryClient({ credentials: dockerCredentials(), ...rest, root, hosts });
}
