/**
 * Runs documentation examples as written: a README code block is written to a `.ts` file, imported
 * (so vitest compiles it and resolves `@tidewatch/*` as for the tests beside it), and what it
 * printed is returned.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The code of the first ```ts block after `heading` (or in the whole text when no heading is given). */
export function codeBlock(markdown: string, heading?: string): string {
  const from = heading === undefined ? 0 : markdown.indexOf(heading);
  if (from < 0) throw new Error(`heading not found: ${heading}`);
  const match = /```ts\n([\s\S]*?)```/.exec(markdown.slice(from));
  if (!match) throw new Error(`no ts code block${heading === undefined ? '' : ` after ${heading}`}`);
  return match[1]!;
}

/** What an example printed: the arguments of each `console.log` and `console.error` call. */
export interface ExampleOutput {
  readonly log: unknown[][];
  readonly error: unknown[][];
}

/**
 * Writes `code` to a temporary file in `dir` and imports it, capturing `console.log` and
 * `console.error` until it settles (top-level await included); the file is removed afterwards.
 * `dir` decides how imports resolve: next to the calling test file, `@tidewatch/*` resolve as for
 * that test.
 */
export async function runExample(code: string, dir: string): Promise<ExampleOutput> {
  const file = join(dir, `.example-${process.pid}-${Date.now()}.tmp.ts`);
  await writeFile(file, code);
  const out: ExampleOutput = { log: [], error: [] };
  const { log, error } = console;
  console.log = (...args: unknown[]) => void out.log.push(args);
  console.error = (...args: unknown[]) => void out.error.push(args);
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    console.error = error;
    await rm(file, { force: true });
  }
  return out;
}
