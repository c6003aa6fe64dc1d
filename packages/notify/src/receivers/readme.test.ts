// Runs the README's receiver handler example as written: the documented example must work.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { codeBlock, runExample } from '@tidewatch/testkit';
import { expect, it } from 'vitest';

it('the README createReceiverHandler example runs and prints what its comments say', async () => {
  const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const block = codeBlock(readme, '### Triggering work: `createReceiverHandler`');
  const { log: logged } = await runExample(block, fileURLToPath(new URL('.', import.meta.url)));
  expect(logged).toEqual([['1.2.0', ['ImageRepository/flux-system/app']], [200], [200], [404]]);
});
