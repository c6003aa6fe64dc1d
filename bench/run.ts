/**
 * Runs every benchmark (or those named on the command line) and prints one Markdown table.
 * Usage: `pnpm bench [policy|setters|registry|notify ...]`
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatFigures, type BenchFigure, type Benchmark } from './lib.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = new Set(process.argv.slice(2));
const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
const figures: BenchFigure[] = [];
let failed = false;
for (const file of files) {
  const mod = (await import(`./${file}`)) as { default: Benchmark };
  if (wanted.size > 0 && !wanted.has(mod.default.name)) continue;
  process.stderr.write(`[bench] ${mod.default.name}...\n`);
  try {
    figures.push(...(await mod.default.run()));
  } catch (err) {
    failed = true;
    process.stderr.write(`[bench] ${mod.default.name} failed: ${String(err)}\n`);
  }
}
process.stdout.write(`${formatFigures(figures)}\n`);
process.exitCode = failed ? 1 : 0;
