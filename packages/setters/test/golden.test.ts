/**
 * Golden trees: `golden/<case>/input/` is copied to a fresh temp dir, updated with the policies of
 * `golden/policies.json`, and compared byte for byte with `golden/<case>/expected/`.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import { updateFiles } from '@tidewatch/setters';
import { GOLDEN, goldenCases, goldenPolicies, readTree } from './golden.js';

const policies = goldenPolicies;
const cases = goldenCases;
const tree = readTree;

let dirs: TempDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => d.cleanup()));
  dirs = [];
});

async function copyOf(name: string): Promise<string> {
  const dir = await tempDir('tidewatch-golden-');
  dirs.push(dir);
  cpSync(join(GOLDEN, name, 'input'), dir.path, { recursive: true });
  return dir.path;
}

describe('golden trees', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(cases)('%s', (name) => {
    const expected = tree(join(GOLDEN, name, 'expected'));
    const input = tree(join(GOLDEN, name, 'input'));
    const changedFiles = [...expected.keys()].filter((k) => !expected.get(k)!.equals(input.get(k)!)).sort();

    it('matches expected/ byte for byte, and a second run changes nothing', async () => {
      const root = await copyOf(name);
      const first = await updateFiles({ root, policies });
      const got = tree(root);
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [file, bytes] of expected) {
        expect(got.get(file)!.toString('latin1'), file).toBe(bytes.toString('latin1'));
      }
      expect([...first.filesChanged].sort()).toEqual(changedFiles);
      const second = await updateFiles({ root, policies });
      expect(second.changes).toEqual([]);
      expect(second.filesChanged).toEqual([]);
    });

    it('dry run: same changes, a diff, nothing written', async () => {
      const root = await copyOf(name);
      const wet = await updateFiles({ root: await copyOf(name), policies });
      const dry = await updateFiles({ root, policies, dryRun: true });
      expect(dry.changes).toEqual(wet.changes);
      expect(dry.filesChanged).toEqual(wet.filesChanged);
      for (const [file, bytes] of tree(root)) expect(bytes.equals(input.get(file)!), file).toBe(true);
      for (const file of changedFiles) expect(dry.diff).toContain(`+++ b/${file}`);
      if (changedFiles.length === 0) expect(dry.diff).toBe('');
    });
  });
});

describe('golden: file selection reports', () => {
  it('warns about the files it had to skip, in walk order', async () => {
    const root = await copyOf('file-selection');
    const { warnings, filesChanged } = await updateFiles({ root, policies });
    expect(filesChanged).toEqual(['.hidden/app.yaml', 'nested/deeper/z.yaml', 'x.yml']);
    expect(warnings.map((w) => [w.file, w.code])).toEqual([
      ['invalid.yaml', 'unparsable-file'],
      ['seq-root.yaml', 'unsupported-document'],
      ['unknown.yaml', 'unknown-policy'],
    ]);
  });

  it('records HelmRelease chart versions with their object (the seed example)', async () => {
    const root = await copyOf('helmrelease-seed');
    const { changes } = await updateFiles({ root, policies });
    expect(changes.map((c) => [c.file, c.line, c.setter, c.oldValue, c.newValue, c.object.kind])).toEqual(
      [
        [
          'coder/pod.yaml',
          8,
          'flux-system:coder',
          'ghcr.io/coder/coder:v2.16.0',
          'ghcr.io/coder/coder:v2.17.0',
          'Pod',
        ],
        ['coder/release.yaml', 11, 'flux-system:coder-chart:tag', '2.16.0', '2.17.1', 'HelmRelease'],
        [
          'coder/release.yaml',
          18,
          'flux-system:coder:name',
          'ghcr.io/coder/coder',
          'ghcr.io/coder/coder',
          'HelmRelease',
        ],
        ['coder/release.yaml', 19, 'flux-system:coder:tag', 'v2.16.0', 'v2.17.0', 'HelmRelease'],
      ].filter((c) => c[3] !== c[4]),
    );
  });
});
