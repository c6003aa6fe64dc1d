/**
 * Policy benchmark: select from N generated tags (a realistic mix of semver, prerelease, date,
 * sha, `main-<sha>-<ts>` and `.sig` tags) with a semver range plus a filterTags pattern/extract.
 *
 * Baseline, measured in the same run: the naive approach, a JS `RegExp` filter and extract, then
 * node-semver `coerce` + `maxSatisfying` over the extracted values. tidewatch does more (Go RE2
 * semantics on a linear-time engine, Masterminds semantics, exact uint64 parts, deterministic
 * ties) and should still be no slower (target ≤ 1.0×). Growth 10k → 100k → 1M should be linear.
 */
import { selectTag, type ImagePolicySpec } from '@tidewatch/policy';
import semver from 'semver';
import { seededRandom } from '@tidewatch/testkit';
import { compare, type BenchFigure, type Benchmark } from './lib.js';

const PATTERN = String.raw`^v?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$`;
const JS_PATTERN = /^v?(?<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;
const RANGE = '>=1.0.0 <40.0.0';

const spec: ImagePolicySpec = {
  policy: { semver: { range: RANGE } },
  filterTags: { pattern: PATTERN, extract: '$version' },
};

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

/** Generates `n` distinct tags in registry order (unsorted). */
export function generateTags(n: number, seed = 42): string[] {
  const r = seededRandom(seed);
  const out = new Set<string>();
  while (out.size < n) {
    const k = r();
    const maj = Math.floor(r() * 50);
    const min = Math.floor(r() * 100);
    const pat = Math.floor(r() * 200);
    if (k < 0.3) out.add(`${maj}.${min}.${pat}`);
    else if (k < 0.45) out.add(`v${maj}.${min}.${pat}`);
    else if (k < 0.55)
      out.add(`${maj}.${min}.${pat}-${['rc', 'beta', 'alpha'][Math.floor(r() * 3)]}.${Math.floor(r() * 20)}`);
    else if (k < 0.65)
      out.add(
        `20${20 + Math.floor(r() * 6)}${String(1 + Math.floor(r() * 12)).padStart(2, '0')}${String(1 + Math.floor(r() * 28)).padStart(2, '0')}-${Math.floor(r() * 1000)}`,
      );
    else if (k < 0.75) out.add(`sha-${hex(r, 7)}`);
    else if (k < 0.85) out.add(`main-${hex(r, 7)}-${1_700_000_000 + Math.floor(r() * 50_000_000)}`);
    else if (k < 0.95) out.add(`sha256-${hex(r, 64)}.sig`);
    else
      out.add(
        ['latest', 'stable', 'edge', 'nightly'][Math.floor(r() * 4)]! + `-${Math.floor(r() * 100_000)}`,
      );
  }
  return [...out];
}

function naive(tags: readonly string[]): string | undefined {
  const extracted: semver.SemVer[] = [];
  const original = new Map<string, string>();
  for (const tag of tags) {
    const m = JS_PATTERN.exec(tag);
    const v = m?.groups?.version;
    if (v === undefined) continue;
    const c = semver.coerce(v);
    if (c === null) continue;
    extracted.push(c);
    original.set(c.version, tag);
  }
  const best = semver.maxSatisfying(extracted, RANGE);
  return best === null ? undefined : original.get(best.version);
}

const bench: Benchmark = {
  name: 'policy',
  async run(): Promise<BenchFigure[]> {
    const figures: BenchFigure[] = [];
    const sizes = [10_000, 100_000, 1_000_000] as const;
    const medians: number[] = [];
    for (const n of sizes) {
      const tags = generateTags(n);
      // Both must find a tag, or the comparison means nothing.
      if (selectTag(tags, spec) === undefined || naive(tags) === undefined)
        throw new Error('no tag selected');
      // Five pairs at 1M tags: with three, two slow ones (most likely a major GC) decided the median.
      const runs = n >= 1_000_000 ? 5 : 9;
      const r = await compare(
        () => selectTag(tags, spec),
        () => naive(tags),
        { runs, warmup: 2 },
      );
      medians.push(r.medianMs);
      figures.push({
        name: `policy: semver + filterTags extract, ${n / 1000}k tags`,
        medianMs: r.medianMs,
        baselineMs: r.baselineMs,
        baselineName: 'RegExp + node-semver coerce/maxSatisfying',
        ...(n === 100_000 ? { target: 1.0 } : {}),
        extra: {
          'µs/tag': ((r.medianMs * 1000) / n).toFixed(3),
          ...(medians.length > 1
            ? {
                [`growth ×${n / sizes[medians.length - 2]!} tags`]: `${(r.medianMs / medians[medians.length - 2]!).toFixed(2)}×`,
              }
            : {}),
        },
      });
    }
    return figures;
  },
};

export default bench;
