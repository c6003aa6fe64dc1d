// Runs the README's receiver handler example as written: the documented example must work.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

it('the README createReceiverHandler example runs and prints what its comments say', async () => {
  const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('### Triggering work: `createReceiverHandler`'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const file = join(fileURLToPath(new URL('.', import.meta.url)), `.readme-${process.pid}.tmp.ts`);
  await writeFile(file, block);
  const logged: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
    await rm(file, { force: true });
  }
  expect(logged).toEqual([['1.2.0', ['ImageRepository/flux-system/app']], [200], [200], [404]]);
});
