import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '@tsbuild/errors';
import { createPlan } from '@tsbuild/frontend';
import { corpusDir, listFiles } from '../../../test/support/paths.js';

const dockerfiles = listFiles(corpusDir, (name) => name.startsWith('Dockerfile'));

describe('the shared corpus', () => {
  it('holds the Dockerfiles this test walks', () => {
    expect(dockerfiles.length).toBeGreaterThanOrEqual(90);
  });

  // Every file, no sampling: each parses, expands and plans with its default build args.
  it.each(dockerfiles)('%s plans', async (path) => {
    const text = readFileSync(join(corpusDir, path), 'utf8');
    const isTemplate = path.endsWith('.template');
    try {
      const plan = await createPlan({ dockerfile: text, file: path, platform: { os: 'linux', architecture: 'amd64' } });
      expect(isTemplate).toBe(false);
      expect(plan.stages.length).toBeGreaterThan(0);
      expect(plan.stages.every((s) => s.steps.every((step) => step.location.line > 0))).toBe(true);
    } catch (error) {
      // Templates hold {{ }} placeholders and may be refused, with the template error only.
      if (!isTemplate || !(error instanceof TsbuildError)) throw error;
      expect(error.code).toBe('TEMPLATE_PLACEHOLDER');
      expect(error.location?.file).toBe(path);
    }
  });
});
