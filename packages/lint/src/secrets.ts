import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

export interface SecretMatch {
  /** What kind of secret, for people: `GitHub Token`, `private key`. */
  kind: string;
  /** 1-based line of the match in the text. */
  line: number;
}

const PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/;

/**
 * Known token formats (secretlint's recommended preset: cloud keys, GitHub/GitLab/npm/Slack
 * tokens, basic-auth URLs, …) plus private key blocks. Matches are reported, never their values.
 */
export async function findSecrets(text: string, filePath = 'text'): Promise<SecretMatch[]> {
  const matches: SecretMatch[] = [];
  const result = await lintSource({
    source: { filePath, content: text, contentType: 'text' },
    options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] }, maskSecrets: true, noPhysicFilePath: true },
  });
  for (const message of result.messages) {
    const kind = /found ([^:(]+)/.exec(message.message)?.[1]?.trim() ?? message.ruleId.replace('@secretlint/secretlint-rule-', '');
    matches.push({ kind, line: message.loc?.start.line ?? 1 });
  }
  const key = PRIVATE_KEY.exec(text);
  if (key && !matches.some((m) => m.kind.toLowerCase().includes('private key'))) {
    matches.push({ kind: key[1]!.toLowerCase(), line: text.slice(0, key.index).split('\n').length });
  }
  return matches;
}

/**
 * BuildKit's SecretsUsedInArgOrEnv: a name whose words include a secret word (`API_TOKEN`,
 * `dbPassword`), but not ones that only name where a secret lives or that merely contain the
 * letters (`KEYBOARD`, `PUBLIC_KEY_URL`, `TOKEN_FILE`).
 */
export function looksLikeSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const secretWord = words.some((w) => SECRET_WORDS.has(w));
  if (!secretWord) return false;
  if (words.some((w) => NOT_A_VALUE.has(w))) return false;
  return !(words.includes('public') && words.includes('key'));
}

const SECRET_WORDS = new Set(['apikey', 'auth', 'credential', 'credentials', 'key', 'password', 'passwd', 'pword', 'secret', 'token']);
const NOT_A_VALUE = new Set(['file', 'path', 'dir', 'url', 'uri', 'name', 'type', 'length', 'size', 'env', 'var', 'location', 'host', 'server', 'endpoint', 'algorithm', 'mode']);

/** Official images set `GPG_KEY`/`*_GPG_KEYS` to public key fingerprints: random-looking, not secret. */
export function namesPublicKeyMaterial(name: string): boolean {
  return /(^|_)(GPG|PGP|FINGERPRINTS?|KEYRING|KEYSERVER)(_|$)/i.test(name);
}
