import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../event.js';
import { notifierDefinitions } from './index.js';

const dir = fileURLToPath(new URL('.', import.meta.url));

describe('provider registry', () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3));
  const ids = notifierDefinitions.map((d) => d.id);

  it('lists every provider file, and every listed id has a file of the same name', () => {
    expect([...ids].sort(compareBytes)).toEqual([...files].sort(compareBytes));
  });

  it('is sorted by id, without duplicates', () => {
    expect(ids).toEqual([...ids].sort(compareBytes));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every definition has the required members', () => {
    for (const d of notifierDefinitions) {
      expect(typeof d.parseOptions, d.id).toBe('function');
      expect(typeof d.create, d.id).toBe('function');
      expect(Array.isArray(d.secretFields), d.id).toBe(true);
    }
  });
});
