/**
 * The analysis cache of `updateFiles` (README, decision 21) must never change an outcome: a run that
 * replays a remembered analysis, or the analysis derived for a text it wrote, gives exactly what
 * parsing the file again gives — the same bytes on disk, changes, warnings and files.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@tidewatch/core';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import {
  MAX_CACHED_CHARS,
  analysisCacheSize,
  cacheStats,
  cachedAnalysis,
  clearAnalysisCache,
  rememberAnalysis,
} from './cache.js';
import { updateFiles } from './files.js';
import { createSetterLookup } from './policies.js';
import { analyse, applyAnalysis, setterPass, type FileAnalysis } from './rewrite.js';
import type { PolicyImage } from './types.js';
import { GOLDEN, goldenCases, goldenPolicies, readTree } from '../test/golden.js';

const cases = goldenCases;

/** The golden policies with every value moved (a later release of everything). */
const nextPolicies: Record<string, PolicyImage> = Object.fromEntries(
  Object.entries(goldenPolicies).map(([name, p]) => [
    name,
    {
      image: `${p.image}-next`,
      tag: `${p.tag}.1`,
      ...(p.digest === undefined ? {} : { digest: `sha256:${'e'.repeat(64)}` }),
    },
  ]),
);

const files = readTree;

const shape = (a: FileAnalysis): Omit<FileAnalysis, 'invalid'> => ({
  steps: a.steps,
  stopped: a.stopped,
  lineStarts: a.lineStarts,
  identity: a.identity,
});

describe('analyses of every golden input', () => {
  const lookups = [createSetterLookup(goldenPolicies), createSetterLookup(nextPolicies)];
  const texts: [string, string][] = [];
  for (const name of cases) {
    for (const [file, bytes] of files(join(GOLDEN, name, 'input'))) {
      const text = bytes.toString('utf8');
      if (text.includes('"$imagepolicy"')) texts.push([`${name}/${file}`, text]);
    }
  }

  it('replay under other policies, and derive for the output what parsing it gives', () => {
    expect(texts.length).toBeGreaterThan(10);
    let derived = 0;
    for (const [file, text] of texts) {
      for (const [l, other] of [lookups, [...lookups].reverse()] as const) {
        const first = setterPass(text, l!, file, false);
        expect(first.analysis, file).toBeDefined();
        const replay = applyAnalysis(text, first.analysis!, other!, file);
        const full = setterPass(text, other!, file, false).result;
        if (replay) expect(replay.result, file).toEqual(full);
        else expect(first.analysis!.invalid, file).toBeUndefined();
        if (!first.next) continue;
        derived++;
        const out = first.result.output;
        expect(shape(first.next), file).toEqual(shape(analyse(out).analysis));
        for (const again of lookups) {
          const fromDerived = applyAnalysis(out, first.next, again, file);
          if (fromDerived)
            expect(fromDerived.result, file).toEqual(setterPass(out, again, file, false).result);
        }
      }
    }
    expect(derived).toBeGreaterThan(10);
  });
});

describe('updateFiles with the cache', () => {
  let dirs: TempDir[] = [];
  const copy = async (): Promise<string> => {
    const dir = await tempDir('tidewatch-cache-');
    dirs.push(dir);
    for (const name of cases) cpSync(join(GOLDEN, name, 'input'), join(dir.path, name), { recursive: true });
    // A marker on a field the object's identity is read from: changes name the object by its new name.
    writeFileSync(
      join(dir.path, 'identity.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-1.4.0 # {"$imagepolicy": "apps:web:tag"}\ndata:\n  image: ghcr.io/acme/web:1.4.0 # {"$imagepolicy": "apps:web"}\n',
    );
    return dir.path;
  };
  beforeEach(() => clearAnalysisCache());
  afterEach(async () => {
    await Promise.all(dirs.map((d) => d.cleanup()));
    dirs = [];
  });

  it('gives, run after run, exactly what runs without it give (and really uses it)', async () => {
    const [cached, uncached] = [await copy(), await copy()];
    const hits = cacheStats.hits;
    for (let run = 0; run < 5; run++) {
      const policies = run % 2 === 0 ? goldenPolicies : nextPolicies;
      if (run === 3) {
        // Someone edits a marked file between runs: the new text is parsed, not taken from the cache.
        for (const root of [cached, uncached]) {
          const p = join(root, 'deployment-comments', readdirSync(join(root, 'deployment-comments'))[0]!);
          writeFileSync(p, readFileSync(p, 'utf8').replace(/image: \S+/, 'image: ghcr.io/acme/web:0.0.1'));
        }
      }
      const withCache = await updateFiles({ root: cached, policies, threads: 0 });
      const without = await updateFiles({ root: uncached, policies, threads: 0, cache: false });
      expect(withCache, `run ${run}`).toEqual(without);
      expect(files(cached), `run ${run}`).toEqual(files(uncached));
      expect(withCache.changes.length + withCache.warnings.length).toBeGreaterThan(0);
    }
    expect(cacheStats.hits - hits).toBeGreaterThan(20);
  });

  it('also in a dry run, which remembers only what it read', async () => {
    const [cached, uncached] = [await copy(), await copy()];
    await updateFiles({ root: cached, policies: goldenPolicies, threads: 0 });
    await updateFiles({ root: uncached, policies: goldenPolicies, threads: 0, cache: false });
    const hits = cacheStats.hits;
    const dry = await updateFiles({ root: cached, policies: nextPolicies, dryRun: true, threads: 0 });
    expect(cacheStats.hits - hits).toBeGreaterThan(5);
    expect(dry).toEqual(
      await updateFiles({ root: uncached, policies: nextPolicies, dryRun: true, threads: 0, cache: false }),
    );
    expect(dry.diff).not.toBe('');
  });

  it('with cache: false neither reads nor fills it', async () => {
    const root = await copy();
    await updateFiles({ root, policies: goldenPolicies, threads: 0, cache: false });
    expect(analysisCacheSize().entries).toBe(0);
    await updateFiles({ root, policies: nextPolicies, threads: 0 });
    expect(analysisCacheSize().entries).toBeGreaterThan(0);
    const hits = cacheStats.hits;
    await updateFiles({ root, policies: goldenPolicies, threads: 0, cache: false });
    expect(cacheStats.hits).toBe(hits);
  });

  it('rejects a cache option that is not a boolean', async () => {
    const err = await updateFiles({
      root: '.',
      policies: goldenPolicies,
      cache: 'yes' as unknown as boolean,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/cache: must be a boolean/);
  });
});

describe('the cache itself', () => {
  beforeEach(() => clearAnalysisCache());

  it('keeps at most MAX_CACHED_CHARS characters of text, dropping the oldest first', () => {
    const analysis: FileAnalysis = { steps: [], stopped: false, lineStarts: [0], identity: [] };
    const third = Math.floor(MAX_CACHED_CHARS / 3) + 1;
    const [a, b, c] = ['a', 'b', 'c'].map((ch) => ch.repeat(third));
    rememberAnalysis(a!, analysis);
    rememberAnalysis(b!, analysis);
    expect(analysisCacheSize().entries).toBe(2);
    rememberAnalysis(c!, analysis);
    expect(cachedAnalysis(a!)).toBeUndefined();
    expect(cachedAnalysis(b!)).toBe(analysis);
    expect(cachedAnalysis(c!)).toBe(analysis);
    expect(analysisCacheSize().chars).toBeLessThanOrEqual(MAX_CACHED_CHARS);
    rememberAnalysis('x'.repeat(MAX_CACHED_CHARS + 1), analysis); // larger than the budget: not kept
    expect(analysisCacheSize().entries).toBe(2);
  });
});
