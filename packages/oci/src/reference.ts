import { TsbuildError } from '@tsbuild/errors';

/*
 * Image references parsed and normalised as Docker does (github.com/distribution/reference,
 * ParseNormalizedNamed + TagNameOnly): `busybox` → `docker.io/library/busybox:latest`.
 * The grammar below follows distribution's regexp.go.
 */
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REGISTRY_PATTERN = new RegExp(`^${DOMAIN_AND_PORT}$`);
const PATH_PATTERN = new RegExp(`^(${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_PATTERN = new RegExp(`^${TAG}$`);
const IDENTIFIER_PATTERN = /^[a-f0-9]{64}$/;
/** Digests whose encoded part has the length the algorithm requires (go-digest's validation). */
const SUPPORTED_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
/** distribution's NameTotalLengthMax: the whole name, registry included. */
const MAX_NAME_LENGTH = 255;

/** A fully qualified image reference: registry, repository path, and a tag and/or a digest. */
export class Reference {
  constructor(
    /** `docker.io`, `localhost:5000`, `[fc00::1]:5000`… */
    readonly registry: string,
    /** The path in the registry: `library/busybox`. */
    readonly repository: string,
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  /** `docker.io/library/busybox` (no tag or digest). */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** The short name Docker shows: `busybox`, `user/app`, `localhost:5000/app`. */
  get familiarName(): string {
    if (this.registry !== DEFAULT_REGISTRY) return this.name;
    const path = this.repository;
    if (path.startsWith(OFFICIAL_REPOSITORY_PREFIX) && !path.slice(OFFICIAL_REPOSITORY_PREFIX.length).includes('/')) {
      return path.slice(OFFICIAL_REPOSITORY_PREFIX.length);
    }
    return path;
  }

  /** The familiar form with tag and digest: `busybox:latest`. */
  get familiar(): string {
    return this.familiarName + this.suffix();
  }

  /** What a registry request names: the digest when there is one, else the tag. */
  get tagOrDigest(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  withTag(tag: string): Reference {
    if (!TAG_PATTERN.test(tag)) throw invalidReference(`${this.name}:${tag}`, `invalid tag '${tag}'`);
    return new Reference(this.registry, this.repository, tag, undefined);
  }

  withDigest(digest: string): Reference {
    if (!SUPPORTED_DIGEST.test(digest)) throw invalidReference(`${this.name}@${digest}`, `invalid digest '${digest}'`);
    return new Reference(this.registry, this.repository, this.tag, digest);
  }

  /** The same repository without tag or digest. */
  withoutTagOrDigest(): Reference {
    return new Reference(this.registry, this.repository);
  }

  /** `docker.io/library/busybox:latest`, with `@digest` when known. */
  toString(): string {
    return this.name + this.suffix();
  }

  private suffix(): string {
    return (this.tag === undefined ? '' : `:${this.tag}`) + (this.digest === undefined ? '' : `@${this.digest}`);
  }
}

export interface ParseReferenceOptions {
  /** Add `:latest` when the reference has neither tag nor digest (Docker's TagNameOnly). Default true. */
  defaultTag?: boolean;
}

/**
 * Parses an image reference the way `docker pull` does. Throws INVALID_REFERENCE naming the
 * reference and what is wrong with it.
 */
export function parseReference(input: string, options: ParseReferenceOptions = {}): Reference {
  if (input === '') throw invalidReference(input, 'it is empty');
  if (IDENTIFIER_PATTERN.test(input)) throw invalidReference(input, 'cannot specify 64-byte hexadecimal strings');
  const { registry, remainder } = splitRegistry(input);
  if (!REGISTRY_PATTERN.test(registry)) throw invalidReference(input, `invalid registry name '${registry}'`);
  const match = PATH_PATTERN.exec(remainder);
  if (!match) {
    const path = remainder.split(/[:@]/)[0] ?? '';
    const reason = path !== path.toLowerCase() ? 'repository name must be lowercase' : 'invalid reference format';
    throw invalidReference(input, reason);
  }
  const [, repository = '', tag, digest] = match;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw invalidReference(input, `repository name must not be more than ${MAX_NAME_LENGTH} characters`);
  }
  if (digest !== undefined && !SUPPORTED_DIGEST.test(digest)) throw invalidReference(input, `invalid digest '${digest}'`);
  const addTag = (options.defaultTag ?? true) && tag === undefined && digest === undefined;
  return new Reference(registry, repository, addTag ? DEFAULT_TAG : tag, digest);
}

/** True when `input` parses as a reference. */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/**
 * distribution's splitDockerDomain: the first component is a registry only if it has a `.` or a
 * `:`, is `localhost`, or has upper-case letters; otherwise the reference is on Docker Hub, where
 * single-component names live under `library/`.
 */
function splitRegistry(input: string): { registry: string; remainder: string } {
  const slash = input.indexOf('/');
  const first = slash < 0 ? '' : input.slice(0, slash);
  const isRegistry = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = isRegistry ? first : DEFAULT_REGISTRY;
  let remainder = isRegistry ? input.slice(slash + 1) : input;
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !remainder.includes('/')) remainder = OFFICIAL_REPOSITORY_PREFIX + remainder;
  return { registry, remainder };
}

function invalidReference(input: string, reason: string): TsbuildError {
  return new TsbuildError('INVALID_REFERENCE', `invalid reference '${input}': ${reason}`);
}
