#!/usr/bin/env node
// Runs vitest, then prints the plain closing line `tests: N passed, N failed[, N skipped]`
// from its JSON report, and exits with vitest's own status. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tidewatch-vitest-'));
const report = join(dir, 'report.json');
const args = [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const r = spawnSync('pnpm', args, { stdio: 'inherit' });
let status = r.status ?? 1;
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  const failed = j.numFailedTests + (j.numFailedTestSuites ?? 0);
  process.stdout.write(
    `\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
  );
  if (j.numTotalTests === 0) {
    process.stdout.write('no test ran\n');
    status = status || 1;
  }
  if (failed > 0) status = status || 1;
} catch (err) {
  process.stdout.write(`could not read the vitest report: ${String(err)}\n`);
  status = status || 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
