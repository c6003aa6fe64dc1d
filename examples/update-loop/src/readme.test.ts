// Runs the root README's code example against a local distribution registry (the image name is
// swapped for the local one): the front-page example must work.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { codeBlock, pushImage, runExample, startRegistry } from '@tidewatch/testkit';
import type { TestRegistry } from '@tidewatch/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

let reg: TestRegistry;
beforeAll(async () => {
  reg = await startRegistry();
  for (const tag of ['5.9.9', '6.0.0', '6.1.0', '6.2.0-rc.1', 'v6.9.0', '7.0.0', 'latest'])
    await pushImage(reg.url, 'stefanprodan/podinfo', tag);
});
afterAll(() => reg?.stop());

it('the root README example runs', async () => {
  const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const block = codeBlock(readme).replaceAll(
    'ghcr.io/stefanprodan/podinfo',
    `${reg.host}/stefanprodan/podinfo`,
  );
  const { log: logged } = await runExample(block, fileURLToPath(new URL('.', import.meta.url)));
  const image = `${reg.host}/stefanprodan/podinfo`;
  // 6.1.0: 7.0.0 is out of range, v6.9.0 does not match the filter, 6.2.0-rc.1 neither.
  expect(logged[0]).toEqual([
    [`${image}:6.0.0 -> ${image}:6.1.0`],
    `image: ${image}:6.1.0 # {"$imagepolicy": "flux-system:podinfo"}\n`,
  ]);
});
