/**
 * The golden fixtures shared by the setters tests: `golden/<case>/{input,expected}/` trees and the
 * policies they are updated with (`golden/policies.json`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyImage } from '../src/types.js';

/** The folder holding one folder per case. */
export const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

/** The policies every golden case is updated with. */
export const goldenPolicies = JSON.parse(readFileSync(join(GOLDEN, 'policies.json'), 'utf8')) as Record<
  string,
  PolicyImage
>;

/** The case names, sorted. */
export const goldenCases = readdirSync(GOLDEN, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Every file under `root`, by path relative to it (forward slashes), with its bytes. */
export function readTree(root: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) for (const [k, v] of readTree(root, r)) out.set(k, v);
    else out.set(r, readFileSync(join(root, r)));
  }
  return out;
}
