import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';

import { TsbuildError } from '@tsbuild/errors';
import type { Dispatcher } from 'undici';

import type { Credentials, CredentialsProvider } from './credentials.js';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** First backoff delay; doubles each retry. */
  baseDelayMs: number;
  /** No new attempt starts after this much time has passed since the first. */
  maxTimeMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxTimeMs: 60_000 };

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RegistryRequest {
  method: HttpMethod;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  /** Called for each attempt, so a streamed body can be made again for a retry. */
  body?: () => Readable | Buffer;
  /** What the request is about, for error messages: `127.0.0.1:5000/app:v1`. */
  what: string;
  /** Token scope actions on `repository` (`pull` or `pull,push`). */
  repository: string;
  actions: string;
  /** More token scopes the request needs, e.g. `repository:other:pull` for a cross-repository mount. */
  extraScopes?: string[];
  /** Not retried here (a half-sent upload body); the caller retries at a higher level. */
  noRetry?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: string;
}

/** A transient failure worth another attempt (429, 5xx, a dropped connection). */
export class TransientError extends Error {
  constructor(
    message: string,
    /** The server's Retry-After, when it gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * HTTP to one registry host with authentication (anonymous, Basic, Bearer tokens cached per
 * scope) and retries with backoff. Responses other than 401 are returned to the caller;
 * 429/5xx and network errors are retried, then reported as REGISTRY_ERROR; a host name DNS does
 * not know fails at once (REGISTRY_UNREACHABLE).
 */
export class RegistrySession {
  /** Token per scope; a promise, so concurrent requests that meet the same challenge fetch once. */
  private readonly tokens = new Map<string, Promise<string>>();
  private credentials: Promise<Credentials | undefined> | undefined;
  private basic = false;

  constructor(
    /** The registry as users name it (`docker.io`, `127.0.0.1:5000`), for credentials and messages. */
    readonly registry: string,
    private readonly credentialsProvider: CredentialsProvider | undefined,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** Sends with retries on transient failures; the caller must consume or dump the body. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    if (req.noRetry) return this.sendAuthenticated(req);
    return withRetries(this.retry, req.what, this.registry, () => this.sendAuthenticated(req));
  }

  private async sendAuthenticated(req: RegistryRequest): Promise<RegistryResponse> {
    const scopeKey = [`${req.repository}:${req.actions}`, ...(req.extraScopes ?? [])].join(' ');
    const used = this.tokens.get(scopeKey);
    let response = await this.sendOnce(req, await this.authorization(scopeKey));
    if (response.status !== 401) return response;
    const challenge = parseChallenge(headerValue(response.headers['www-authenticate']));
    await response.body.dump();
    if (!challenge) throw unauthorized(this.registry, req.what, 'no usable WWW-Authenticate challenge');
    const credentials = await this.getCredentials();
    if (challenge.scheme === 'basic') {
      if (!credentials) throw unauthorized(this.registry, req.what, 'no credentials (run tsbuild login)');
      this.basic = true;
    } else if (this.tokens.get(scopeKey) === used) {
      // Not already refreshed by a concurrent request: fetch a token for this challenge.
      const token = this.fetchToken(challenge.params, tokenScope(req, challenge.params.scope), credentials, req.what);
      this.tokens.set(scopeKey, token);
      token.catch(() => this.tokens.delete(scopeKey));
    }
    response = await this.sendOnce(req, await this.authorization(scopeKey));
    if (response.status === 401) {
      await response.body.dump();
      throw unauthorized(this.registry, req.what, credentials ? 'credentials rejected' : 'no credentials (run tsbuild login)');
    }
    return response;
  }

  private async authorization(scopeKey: string): Promise<string | undefined> {
    const token = this.tokens.get(scopeKey);
    return token === undefined ? undefined : `Bearer ${await token}`;
  }

  private async basicHeader(): Promise<string | undefined> {
    const c = await this.getCredentials();
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  private getCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= this.credentialsProvider ? this.credentialsProvider(this.registry) : Promise.resolve(undefined);
    return this.credentials;
  }

  private async fetchToken(params: Record<string, string>, scope: string, credentials: Credentials | undefined, what: string): Promise<string> {
    const realm = params.realm;
    if (!realm) throw unauthorized(this.registry, what, 'Bearer challenge without a realm');
    const url = new URL(realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const s of scope.split(' ')) if (s) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await (await undiciRequest())(url, { method: 'GET', headers, ...timeouts() });
    } catch (error) {
      throw new TransientError(`token server ${url.origin}: ${(error as Error).message}`);
    }
    if (response.statusCode === 429 || response.statusCode >= 500) {
      await response.body.dump();
      throw new TransientError(`token server ${url.origin} answered HTTP ${response.statusCode}`);
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw unauthorized(this.registry, what, `token server ${url.origin} answered HTTP ${response.statusCode}`);
    }
    const body = (await response.body.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw unauthorized(this.registry, what, `token server ${url.origin} returned no token`);
    return token;
  }

  private async sendOnce(req: RegistryRequest, authorization: string | undefined): Promise<RegistryResponse> {
    let url = req.url;
    const auth = authorization ?? (this.basic ? await this.basicHeader() : undefined);
    // Blob GETs may redirect to storage elsewhere; follow, dropping our credentials off-host.
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...req.headers };
      if (auth && new URL(url).host === new URL(req.url).host) headers.authorization = auth;
      let response: Dispatcher.ResponseData;
      try {
        response = await (await undiciRequest())(url, { method: req.method, headers, body: req.body?.(), ...keepAlive(req.method), ...timeouts() });
      } catch (error) {
        if (error instanceof TsbuildError) throw error;
        // No such host is an answer, not a hiccup: retrying it only delays the error (EAI_AGAIN is retried).
        if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND') {
          throw new TsbuildError('REGISTRY_UNREACHABLE', `${req.what}: registry ${this.registry} is unreachable: no such host ${new URL(url).hostname}`, { cause: error });
        }
        throw new TransientError(`${(error as Error).message}`);
      }
      const status = response.statusCode;
      if ([301, 302, 303, 307, 308].includes(status) && (req.method === 'GET' || req.method === 'HEAD') && hop < 5) {
        const location = headerValue(response.headers.location);
        await response.body.dump();
        if (!location) throw registryError(this.registry, req.what, status, 'redirect without Location');
        url = new URL(location, url).toString();
        continue;
      }
      if (status === 429 || status >= 500) {
        await response.body.dump();
        const retryAfter = Number(headerValue(response.headers['retry-after']));
        throw new TransientError(`HTTP ${status}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
      }
      return { status, headers: response.headers, body: response.body, url };
    }
  }
}

/** Runs `attempt`, retrying TransientErrors with exponential backoff within `policy`. */
export async function withRetries<T>(policy: RetryPolicy, what: string, registry: string, attempt: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const transient = error instanceof TransientError || (error instanceof TsbuildError && error.code === 'BLOB_SOURCE_FAILED');
      const backoff = policy.baseDelayMs * 2 ** (n - 1);
      const delay = error instanceof TransientError && error.retryAfterMs !== undefined ? Math.max(backoff, error.retryAfterMs) : backoff;
      if (!transient || n >= policy.attempts || Date.now() - started + delay > policy.maxTimeMs) {
        if (transient) {
          throw new TsbuildError('REGISTRY_ERROR', `${what}: registry ${registry} failed after ${n} attempt(s): ${(error as Error).message}`, { cause: error });
        }
        throw error;
      }
      await sleep(delay);
    }
  }
}

/**
 * The scope to ask the token server for: all the actions this request's operation needs on its
 * repository (so one token serves a whole push), plus what the challenge names elsewhere (the
 * source repository of a cross-repository mount).
 */
function tokenScope(req: RegistryRequest, challengeScope: string | undefined): string {
  const own = [req.repository ? `repository:${req.repository}:${req.actions}` : '', ...(req.extraScopes ?? [])];
  const others = (challengeScope ?? '').split(' ').filter((s) => s !== '' && !s.startsWith(`repository:${req.repository}:`));
  return [...own, ...others.filter((s) => !own.includes(s))].filter((s) => s !== '').join(' ');
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!match) return undefined;
  const scheme = (match[1] ?? '').toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const m of (match[2] ?? '').matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(m[1] ?? '').toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

function unauthorized(registry: string, what: string, why: string): TsbuildError {
  return new TsbuildError('REGISTRY_UNAUTHORIZED', `${what}: registry ${registry} refused access (HTTP 401): ${why}`);
}

export function registryError(registry: string, what: string, status: number, detail = ''): TsbuildError {
  const code = status === 404 ? 'REGISTRY_NOT_FOUND' : status === 401 || status === 403 ? 'REGISTRY_UNAUTHORIZED' : 'REGISTRY_ERROR';
  return new TsbuildError(code, `${what}: registry ${registry} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
}

/** The first error message of a registry's JSON error body, if any (body consumed). */
export async function errorDetail(response: RegistryResponse): Promise<string> {
  try {
    const text = await response.body.text();
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = parsed.errors?.[0];
    return first ? [first.code, first.message].filter(Boolean).join(' ') : '';
  } catch {
    return '';
  }
}

/**
 * undici closes the connection after every HEAD, in case a server sends a body it should not.
 * Registries do not (Go's clients, skopeo and docker, reuse the connection too), and a push asks
 * HEAD for every blob: without this, each check costs the next request a new connection (a new
 * TLS handshake on a remote registry).
 */
function keepAlive(method: string): { reset?: boolean } {
  return method === 'HEAD' ? { reset: false } : {};
}

/**
 * A registry that stops answering (headers, or the body mid-blob) is given up on after
 * `TSBUILD_REGISTRY_TIMEOUT_MS` (default 30 s) of silence; the attempt is then retried.
 */
function timeouts(): { headersTimeout: number; bodyTimeout: number } {
  const ms = Number(process.env.TSBUILD_REGISTRY_TIMEOUT_MS) || 30_000;
  return { headersTimeout: ms, bodyTimeout: ms };
}

/**
 * undici is loaded on the first request, and only its Agent and request API: the package's index
 * also loads fetch, WebSocket, the mock agents and the caches, ~80 ms more of every registry
 * command's start. A build whose images are all local (a cached rebuild) loads none of it.
 * These are paths inside the package (no exports map forbids them); the lockfile pins the
 * version, and every registry test fails at once if they move.
 */
type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method: Dispatcher.HttpMethod };
type Request = (url: string | URL, options: RequestOptions) => Promise<Dispatcher.ResponseData>;
let loading: Promise<Request> | undefined;
function undiciRequest(): Promise<Request> {
  loading ??= loadRequest();
  return loading;
}

async function loadRequest(): Promise<Request> {
  const [{ default: Agent }, { default: request }] = await Promise.all([import('undici/lib/dispatcher/agent.js'), import('undici/lib/api/api-request.js')]);
  const agent = new Agent();
  return (url, options) => {
    const { origin, pathname, search } = new URL(url);
    return request.call(agent, { ...options, origin, path: pathname + search });
  };
}
