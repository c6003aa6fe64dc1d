// Runs the README's example block against a real distribution registry: the docs must work.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { codeBlock, pushImage, runExample, startRegistry } from '@tidewatch/testkit';
import type { TestRegistry } from '@tidewatch/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

let reg: TestRegistry;
beforeAll(async () => {
  reg = await startRegistry();
  for (const tag of ['1.0.0', '1.1.0', 'sha256-abc.sig']) await pushImage(reg.url, 'team/app', tag);
});
afterAll(() => reg?.stop());

it('the README example runs', async () => {
  const readme = await readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = codeBlock(readme, '## Example');
  process.env.IMAGE = `${reg.host}/team/app`;
  let lines: string[];
  try {
    // Run next to this file, so that `@tidewatch/registry` resolves to the sources.
    const { log } = await runExample(block, fileURLToPath(new URL('.', import.meta.url)));
    lines = log.map((args) => args.join(' '));
  } finally {
    delete process.env.IMAGE;
  }
  expect(lines[0]).toBe(`${reg.host}/team/app: 2 tags, latest 1.1.0, 1.0.0`);
  expect(lines[1]).toMatch(/^successful scan: found 2 tags with checksum \d+$/);
  expect(lines[2]).toMatch(
    new RegExp(
      `^${reg.host}/team/app:1\\.1\\.0@sha256:[a-f0-9]{64} \\(application/vnd\\.oci\\.image\\.manifest\\.v1\\+json\\)$`,
    ),
  );
  expect(lines[3]).toBe(`${reg.host}/team/app 2 tags`);
  expect(lines[4]).toMatch(/^127\.0\.0\.1:\d+\/team\/app-missing scan failed: /);
});
