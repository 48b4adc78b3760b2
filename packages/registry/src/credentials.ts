import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { TsbuildError } from '@tsbuild/errors';
import { writeFileAtomically } from '@tsbuild/oci';

import { DOCKER_HUB } from './config.js';

export interface Credentials {
  username: string;
  password: string;
}

/** A source of credentials per registry host (`docker.io`, `localhost:5000`). */
export type CredentialsProvider = (registry: string) => Promise<Credentials | undefined>;

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

const HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

async function readDockerConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TsbuildError('CREDENTIALS_ERROR', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch (error) {
    throw new TsbuildError('CREDENTIALS_ERROR', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function authKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return [HUB_AUTH_KEY, 'index.docker.io', 'docker.io', 'https://docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** Credentials as Docker finds them: credHelpers, then credsStore, then `auths`. */
export function dockerCredentials(path = dockerConfigPath()): CredentialsProvider {
  return async (registry) => {
    const config = await readDockerConfig(path);
    const serverUrl = registry === DOCKER_HUB ? HUB_AUTH_KEY : registry;
    const helper = config.credHelpers?.[registry] ?? config.credsStore;
    if (helper !== undefined) {
      const fromHelper = await credentialHelperGet(helper, serverUrl);
      if (fromHelper) return fromHelper;
    }
    for (const key of authKeys(registry)) {
      const entry = config.auths?.[key];
      if (!entry) continue;
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
      if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
    }
    return undefined;
  };
}

/** The docker-credential-* protocol: `get` with the server URL on stdin, JSON on stdout. */
export function credentialHelperGet(helper: string, serverUrl: string): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => reject(new TsbuildError('CREDENTIALS_ERROR', `cannot run credential helper ${program}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        // "credentials not found" is not an error: the registry may allow anonymous access.
        if (/not found/i.test(stdout + stderr)) return resolve(undefined);
        return reject(new TsbuildError('CREDENTIALS_ERROR', `credential helper ${program} failed for ${serverUrl}: ${(stderr || stdout).trim()}`));
      }
      try {
        const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
        resolve(parsed.Secret ? { username: parsed.Username ?? '', password: parsed.Secret } : undefined);
      } catch {
        reject(new TsbuildError('CREDENTIALS_ERROR', `credential helper ${program} printed invalid JSON`));
      }
    });
    child.stdin.end(serverUrl);
  });
}

/** Stores credentials in `auths` of the Docker config file, keeping every other field. */
export async function saveDockerCredentials(registry: string, credentials: Credentials, path = dockerConfigPath()): Promise<void> {
  const config = await readDockerConfig(path);
  const key = registry === DOCKER_HUB ? HUB_AUTH_KEY : registry;
  config.auths = { ...config.auths, [key]: { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') } };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomically(path, JSON.stringify(config, null, '\t') + '\n');
  await chmod(path, 0o600);
}
