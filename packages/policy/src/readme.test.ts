import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as policy from './index.js';

/** Runs the README example against the public API and checks every `// →` line. */
describe('README example', () => {
  it('prints what the README says', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const lines = block!.split('\n');
    const imported = /^import \{([^}]*)\} from '@tidewatch\/policy';$/.exec(lines[0]!);
    expect(imported).not.toBeNull();
    const names = imported![1]!.split(',').map((s) => s.trim());
    const expected = lines.filter((l) => l.startsWith('// → ')).map((l) => l.slice(5));
    const printed: string[] = [];
    const fakeConsole = { log: (...args: unknown[]) => printed.push(args.map(String).join(' ')) };
    const body = lines.slice(1).join('\n');
    // The example is plain JavaScript apart from its import, so it can run as a script.
    const context: Record<string, unknown> = { console: fakeConsole };
    for (const n of names) context[n] = (policy as Record<string, unknown>)[n];
    new Script(body).runInNewContext(context);
    expect(printed).toEqual(expected);
    expect(expected.length).toBeGreaterThan(5);
  });
});
