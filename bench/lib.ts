/**
 * Shared benchmark harness. A benchmark measures the tidewatch code path and a baseline in the
 * same run, interleaved, and reports the ratio of medians: absolute times on a shared machine are
 * noise, ratios are not.
 */

/** One reported figure. */
export interface BenchFigure {
  /** What was measured, e.g. `policy: semver+filter, 100k tags`. */
  readonly name: string;
  /** Median wall time of the tidewatch path, in ms. */
  readonly medianMs: number;
  /** Median wall time of the baseline, in ms (when there is one). */
  readonly baselineMs?: number;
  /** What the baseline is, e.g. `RegExp + node-semver`. */
  readonly baselineName?: string;
  /** Target ratio (tidewatch / baseline) that must not be exceeded. */
  readonly target?: number;
  /** Extra figures (peak RSS in MB, events/s, growth ratios...). */
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  /** Timed runs; the `BENCH_RUNS` environment variable overrides it for every benchmark. @default 7 */
  readonly runs?: number;
  /** Untimed warm-up runs. @default 1 */
  readonly warmup?: number;
}

/**
 * Timed runs for a measurement: `BENCH_RUNS` (a positive integer) when set, else `runs`. More runs
 * steady a median on a shared machine whose speed drifts from minute to minute.
 */
export function timedRuns(runs: number | undefined): number {
  const env = process.env.BENCH_RUNS;
  if (env === undefined || env === '') return runs ?? 7;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${env}`);
  return n;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` once and appends its wall time in ms to `into`. */
async function time(fn: () => unknown, into: number[]): Promise<void> {
  const t0 = performance.now();
  await fn();
  into.push(performance.now() - t0);
}

/** Times `fn` several times and returns the median in ms. */
export async function measure(fn: () => unknown, options: MeasureOptions = {}): Promise<number> {
  for (let i = 0; i < (options.warmup ?? 1); i++) await fn();
  const samples: number[] = [];
  for (let i = 0, runs = timedRuns(options.runs); i < runs; i++) await time(fn, samples);
  return median(samples);
}

/**
 * Times a candidate and a baseline alternately (so machine noise hits both alike) and returns
 * both medians. The order within a pair alternates too (baseline first, then candidate first:
 * B C C B B C …), so that each side follows itself as often as it follows the other. A run leaves
 * state behind (garbage to collect, a young generation V8 sized for its survival rate), and with a
 * fixed order one side always inherits the other's: in the registry benchmark, in four processes of
 * six, the floor ran faster after a scan than after a floor and the scan faster after a scan than
 * after a floor (docs/benchmarks.md, 2026-11-30, fourth session).
 */
export async function compare(
  candidate: () => unknown,
  baseline: () => unknown,
  options: MeasureOptions = {},
): Promise<{ medianMs: number; baselineMs: number; ratio: number }> {
  for (let i = 0; i < (options.warmup ?? 1); i++) {
    await baseline();
    await candidate();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0, runs = timedRuns(options.runs); i < runs; i++) {
    if (i % 2 === 0) {
      await time(baseline, b);
      await time(candidate, a);
    } else {
      await time(candidate, a);
      await time(baseline, b);
    }
  }
  if (process.env.BENCH_SAMPLES)
    process.stderr.write(
      `[bench] samples (baseline / candidate ms): ${b.map((x, i) => `${x.toFixed(0)}/${a[i]!.toFixed(0)}`).join(' ')}\n`,
    );
  const medianMs = median(a);
  const baselineMs = median(b);
  return { medianMs, baselineMs, ratio: medianMs / baselineMs };
}

/** A benchmark module: `bench/<name>.ts` default-exports one of these. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<BenchFigure[]>;
}

/** Formats figures as a Markdown table row list. */
export function formatFigures(figures: readonly BenchFigure[]): string {
  const rows = [
    '| benchmark | median | baseline | ratio | target | extra |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of figures) {
    const ratio = f.baselineMs ? (f.medianMs / f.baselineMs).toFixed(2) + '×' : '–';
    const base = f.baselineMs ? `${f.baselineMs.toFixed(1)} ms (${f.baselineName ?? 'baseline'})` : '–';
    const target = f.target ? `≤ ${f.target}×` : '–';
    const extra = f.extra
      ? Object.entries(f.extra)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')
      : '';
    rows.push(`| ${f.name} | ${f.medianMs.toFixed(1)} ms | ${base} | ${ratio} | ${target} | ${extra} |`);
  }
  return rows.join('\n');
}
