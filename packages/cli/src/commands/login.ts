import { readFileSync } from 'node:fs';

import { TsbuildError } from '@tsbuild/errors';
import { DEFAULT_REGISTRY } from '@tsbuild/oci';
import { dockerConfigPath, openRegistryClient, saveDockerCredentials } from '@tsbuild/registry';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { out } from '../output.js';

export const loginCommand: Command = {
  name: 'login',
  help: `Usage: tsbuild login [OPTIONS] [REGISTRY]

Checks the credentials against REGISTRY (default docker.io) and stores them in the "auths"
section of ~/.docker/config.json ($DOCKER_CONFIG/config.json), where docker and tsbuild read them.

Options:
  -u, --username USER         User name
  -p, --password PASSWORD     Password (prefer --password-stdin)
      --password-stdin        Read the password from standard input
      --insecure-registry HOST  Speak plain HTTP to HOST[:PORT]

Examples:
  echo "$TOKEN" | tsbuild login -u ci --password-stdin registry.example.com`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('login', argv, {
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
      'insecure-registry': { type: 'string', multiple: true },
    });
    if (positionals.length > 1) throw new TsbuildError('USAGE', `login: expected at most one registry. See 'tsbuild login --help'.`, { kind: 'usage' });
    const registry = normaliseRegistry(positionals[0] ?? DEFAULT_REGISTRY);
    const username = values.username as string | undefined;
    if (!username) throw new TsbuildError('USAGE', 'login: --username is required', { kind: 'usage' });
    let password = values.password as string | undefined;
    if (values['password-stdin'] === true) {
      if (password !== undefined) throw new TsbuildError('USAGE', 'login: --password and --password-stdin are exclusive', { kind: 'usage' });
      password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    }
    if (!password) throw new TsbuildError('USAGE', 'login: a password is required (--password-stdin)', { kind: 'usage' });
    const credentials = { username, password };
    const client = await openRegistryClient({ insecure: values['insecure-registry'] as string[] | undefined, credentials: async () => credentials });
    await client.checkLogin(registry);
    await saveDockerCredentials(registry, credentials);
    out(`Login Succeeded (${registry}, saved in ${dockerConfigPath()})`);
    return 0;
  },
};

/** `https://index.docker.io/v1/` and `index.docker.io` mean docker.io; a scheme or path is dropped. */
function normaliseRegistry(text: string): string {
  const host = text.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DEFAULT_REGISTRY : host;
}
