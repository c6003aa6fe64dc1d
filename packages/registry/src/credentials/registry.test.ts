// Registry integrity: every provider file in this folder is registered under its file name, the
// list is alphabetical, and nothing is registered without a file.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceEngines } from '../engines/index.js';
import { credentialProviders } from './index.js';

function pluginFiles(dir: string): string[] {
  return readdirSync(fileURLToPath(new URL(dir, import.meta.url)))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

describe('plug-in registries', () => {
  it('credential providers: files and ids agree, alphabetically', () => {
    const ids = credentialProviders.map((p) => p.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(pluginFiles('./'));
  });

  it('source engines: files and ids agree, alphabetically', () => {
    const ids = sourceEngines.map((e) => e.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(pluginFiles('../engines/'));
  });
});
