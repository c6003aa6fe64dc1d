/** The README example, run against the public API. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@tidewatch/testkit';
import { applySetters, updateFiles } from '@tidewatch/setters';

const policies = {
  'flux-system:coder': { image: 'ghcr.io/coder/coder', tag: 'v2.17.0' },
  'flux-system:coder-chart': { image: 'oci://ghcr.io/coder/charts/coder', tag: '2.17.1' },
};
const source = [
  'spec:',
  '  chart:',
  '    spec:',
  '      version: "2.16.0"  # {"$imagepolicy": "flux-system:coder-chart:tag"}',
  '  values:',
  '    image: ghcr.io/coder/coder:v2.16.0 # {"$imagepolicy": "flux-system:coder"}',
  '',
].join('\n');

describe('README example', () => {
  it('applySetters gives the output and changes shown', () => {
    const { output, changes, warnings } = applySetters(source, policies, { file: 'release.yaml' });
    expect(output).toBe(
      [
        'spec:',
        '  chart:',
        '    spec:',
        '      version: "2.17.1"  # {"$imagepolicy": "flux-system:coder-chart:tag"}',
        '  values:',
        '    image: ghcr.io/coder/coder:v2.17.0 # {"$imagepolicy": "flux-system:coder"}',
        '',
      ].join('\n'),
    );
    expect(changes.map((c) => `${c.file}:${c.line} ${c.setter} ${c.oldValue} -> ${c.newValue}`)).toEqual([
      'release.yaml:4 flux-system:coder-chart:tag 2.16.0 -> 2.17.1',
      'release.yaml:6 flux-system:coder ghcr.io/coder/coder:v2.16.0 -> ghcr.io/coder/coder:v2.17.0',
    ]);
    expect(warnings).toEqual([]);
  });

  it('updateFiles plans a dry run without writing, then writes', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'apps/coder/release.yaml');
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, source);
      const plan = await updateFiles({ root: dir.path, policies, dryRun: true });
      expect(plan.filesChanged).toEqual(['apps/coder/release.yaml']);
      expect(plan.diff).toContain('--- a/apps/coder/release.yaml\n+++ b/apps/coder/release.yaml\n');
      expect(plan.diff).toContain('+      version: "2.17.1"');
      expect(readFileSync(file, 'utf8')).toBe(source);
      const done = await updateFiles({ root: dir.path, policies });
      expect(done.changes.length).toBe(2);
      expect(readFileSync(file, 'utf8')).toContain('version: "2.17.1"');
    } finally {
      await dir.cleanup();
    }
  });
});
