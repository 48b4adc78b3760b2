import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '@tsbuild/lint';

async function secrets(text: string): Promise<string[]> {
  const all = await lintDockerfile({ text: `FROM alpine:3\n${text}\n`, file: 'Dockerfile', shellcheck: false });
  return all.filter((f) => f.category === 'secret').map((f) => `${f.rule}@${f.line}: ${f.message}`);
}

describe('secret leak rules', () => {
  it('a secret copied out of its mount stays in the layer; used in place or removed in the same RUN it does not', async () => {
    expect(await secrets('RUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc /root/.npmrc && npm ci')).toEqual([
      'SecretMountCopied@2: RUN writes the secret "npmrc" from its mount to /root/.npmrc, so the layer keeps it: use it where it is mounted, or remove /root/.npmrc in the same RUN',
    ]);
    expect(await secrets('RUN --mount=type=secret,id=key,target=/tmp/key cat /tmp/key | base64 -d > /etc/app.key')).toEqual([
      'SecretMountCopied@2: RUN writes the secret "key" from its mount to /etc/app.key, so the layer keeps it: use it where it is mounted, or remove /etc/app.key in the same RUN',
    ]);
    expect(await secrets('RUN --mount=type=secret,id=tok,env=TOKEN echo "//registry.npmjs.org/:_authToken=${TOKEN}" > .npmrc')).toEqual([
      'SecretMountCopied@2: RUN writes the secret "tok" from its mount to .npmrc, so the layer keeps it: use it where it is mounted, or remove .npmrc in the same RUN',
    ]);
    expect(await secrets('RUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc /root/.npmrc && npm ci && rm -f /root/.npmrc')).toEqual([]);
    expect(await secrets('RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci')).toEqual([]);
    expect(await secrets('RUN --mount=type=secret,id=aws AWS_SHARED_CREDENTIALS_FILE=/run/secrets/aws aws s3 cp s3://b/f /f 2>&1')).toEqual([]);
  });

  it('a random-looking value under a secret name is a secret value; a word, a path or a reference is not', async () => {
    expect(await secrets('ENV API_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0')).toEqual(['SecretValueInArgOrEnv@2: ENV API_KEY holds a random-looking value (32 characters)']);
    expect(await secrets('ARG DB_PASSWORD=changeme')).toEqual(['SecretsUsedInArgOrEnv@2: Do not use ARG or ENV instructions for sensitive data (ARG "DB_PASSWORD")']);
    expect(await secrets('ENV API_KEY=/run/secrets/api_key_for_the_service')).toEqual([]);
    // An access key ID is half a credential: BuildKit flags it, so do we.
    expect(await secrets('ARG AWS_ACCESS_KEY_ID')).toEqual(['SecretsUsedInArgOrEnv@2: Do not use ARG or ENV instructions for sensitive data (ARG "AWS_ACCESS_KEY_ID")']);
    expect(await secrets('ENV BUILD_ID=9f8e7d6c5b4a39281706f5e4d3c2b1a0')).toEqual([]);
    // Official images' GPG_KEY is a public key fingerprint: BuildKit's name warning only.
    expect(await secrets('ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D')).toEqual(['SecretsUsedInArgOrEnv@2: Do not use ARG or ENV instructions for sensitive data (ENV "GPG_KEY")']);
  });
});

describe('rule documentation links', () => {
  it("BuildKit's checks link to docs.docker.com, shellcheck to its wiki, ours to nothing", async () => {
    const { ruleUrl } = await import('@tsbuild/lint');
    expect(ruleUrl('JSONArgsRecommended')).toBe('https://docs.docker.com/go/dockerfile/rule/json-args-recommended/');
    expect(ruleUrl('FromPlatformFlagConstDisallowed')).toBe('https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/');
    expect(ruleUrl('ShellCheck')).toBe('https://www.shellcheck.net/wiki/');
    expect(ruleUrl('WastedSpace')).toBeUndefined();
  });
});
