// docs/errors.md must list exactly the codes of the ErrorCode union: the docs are part of the feature.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');

describe('docs/errors.md', () => {
  it('documents every ErrorCode, and nothing else', () => {
    const source = read('../src/errors.ts');
    const union = source.slice(
      source.indexOf('export type ErrorCode'),
      source.indexOf(';', source.indexOf('export type ErrorCode')),
    );
    const codes = new Set([...union.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]));
    const doc = read('../../../docs/errors.md');
    const documented = new Set([...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]));
    expect([...codes].sort()).toEqual([...documented].sort());
  });
});
