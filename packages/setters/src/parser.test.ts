import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Parser } from 'yaml';
import { YamlParser, loadFastParser } from './parser.js';

// Every YAML text of the golden fixtures, plus constructs the fixtures may lack (errors included).
function goldenTexts(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) goldenTexts(p, out);
    else if (/\.ya?ml$|Kustomization$/.test(name)) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}
const EXTRA = [
  '\uFEFFa: 1\r\nb: [x, {y: z}] # c\r\n',
  '%YAML 1.2\n---\n- &a x\n- *a\n- !!str 017\n...\n# after\n--- |\n  block\n',
  "k: >-\n  folded\n  text\n\nq: \"esc \\\" \\u0041\"\nr: 'it''s'\n",
  '? complex\n: value\nbad: [unclosed\n  - x: y\n\t tab: 1\n',
  '{a: 1, b: [1, 2}\n',
  'a:\n  b:\n c: 1\n"x\n',
  '',
];

describe('the hook-free parser build', () => {
  it('is loaded, and is not the Node build', async () => {
    await loadFastParser();
    expect(YamlParser).not.toBe(Parser);
  });

  it('yields exactly the tokens and line starts of the Node build', async () => {
    await loadFastParser();
    const texts = [...goldenTexts(join(import.meta.dirname, '..', 'test', 'golden')), ...EXTRA];
    expect(texts.length).toBeGreaterThan(EXTRA.length);
    for (const text of texts) {
      const linesA: number[] = [];
      const linesB: number[] = [];
      const a = [...new Parser((n) => linesA.push(n)).parse(text)];
      const b = [...new YamlParser((n) => linesB.push(n)).parse(text)];
      expect(b).toEqual(a);
      expect(linesB).toEqual(linesA);
    }
  });
});
