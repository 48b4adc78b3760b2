import { describe, expect, it } from 'vitest';
import { lintDockerfile } from '@tsbuild/lint';

async function rules(text: string): Promise<string[]> {
  const all = await lintDockerfile({ text: `FROM debian:12\n${text}\nUSER app\n`, file: 'Dockerfile', shellcheck: false });
  return all.map((f) => `${f.rule}@${f.line}${f.rule === 'PackageNotPinned' ? `: ${f.message}` : ''}`);
}

describe('package manager and practice rules', () => {
  it('pip: cache left and versions missing, quiet with --no-cache-dir, a cache mount, pins, requirement files and paths', async () => {
    expect(await rules('RUN pip install flask requests==2.32.3')).toEqual([
      'PackageNotPinned@2: pip install installs flask without a version: pin them so rebuilds get the same packages',
      'PipNoCacheDir@2',
    ]);
    expect(await rules('RUN pip3 install --no-cache-dir -r requirements.txt ./wheel/app-1.0.whl .')).toEqual([]);
    expect(await rules('RUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.3')).toEqual([]);
  });

  it('npm: the cache stays unless cleaned or mounted', async () => {
    expect(await rules('RUN npm ci')).toEqual(['NpmCacheLeft@2']);
    expect(await rules('RUN npm ci && npm cache clean --force')).toEqual([]);
    expect(await rules('RUN --mount=type=cache,target=/root/.npm npm ci')).toEqual([]);
  });

  it('apt-get/apk: cache mounts count as cleanup; options with values and variables are not packages', async () => {
    expect(await rules('RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 curl=7.88.1-10 $EXTRA')).toEqual([]);
    expect(await rules('RUN apk add --virtual .build-deps gcc=13.2.1_git20240309-r0 && rm -rf /var/cache/apk/*')).toEqual([]);
    expect(await rules('RUN apk add --no-cache gcc')).toEqual(['PackageNotPinned@2: apk add installs gcc without a version: pin them so rebuilds get the same packages']);
  });

  it('sudo and apt in scripts', async () => {
    expect(await rules('RUN sudo make install')).toEqual(['SudoInRun@2']);
    expect(await rules('RUN echo sudo')).toEqual([]);
    expect(await rules('RUN apt install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*')).toEqual(['AptInsteadOfAptGet@2']);
  });
});
