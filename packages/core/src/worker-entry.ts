/**
 * Starting a package's own worker threads, from its build or from its TypeScript sources.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the entry point `name` beside the calling module: `<name>.js` when
 * the package runs from its build (the entry is a second entry point of the build), else
 * `<name>.ts` through tsx's loader (the package runs from its sources, as under the test runner).
 * Node 20 does not apply `--import` loader hooks to a worker's entry module, so the TypeScript
 * entry is imported from a small bootstrap that registers tsx's hooks first. The worker's stdout
 * and stderr are not piped to the process unless `options` says so.
 *
 * @param base - the calling module's `import.meta.url`
 * @param name - the entry point's file name without its extension, e.g. `'http-worker'`
 * @param options - passed to `new Worker` (e.g. `workerData`)
 */
export function startPackageWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  const settings: WorkerOptions = { stdout: false, stderr: false, ...options };
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, settings);
  const tsx = createRequire(base).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(tsx), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL(`./${name}.ts`, base).href;
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...settings, eval: true });
}
