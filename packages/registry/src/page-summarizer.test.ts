import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, startFakeRegistry } from '@tidewatch/testkit';
import type { FakeRegistry } from '@tidewatch/testkit';
import type { PendingSummary } from './page-summarizer.js';
import {
  ANSWER_WAIT_MS,
  START_AFTER_PAGES,
  TAG_THREAD_ENV,
  resetSummaryThreadForTests,
  startSummaryThreadForTests,
  terminateSummaryThreadForTests,
  summarizeTagPageSoon,
  summaryStats,
  summaryTuning,
} from './page-summarizer.js';
import { BODY_BYTES, MAX_PLACES, SLOTS } from './tag-page-protocol.js';
import { adler32, goJsonStringArray } from './revision.js';
import { scanImageRepositories } from './scan.js';

/**
 * What Flux computes for a page: the tag count, the kept tags in its (descending byte) order and
 * the Adler-32 of Go's JSON of them.
 */
function expected(tags: readonly string[], suffix?: string) {
  const kept = tags.filter((t) => !(suffix !== undefined && t.endsWith(suffix)));
  const descending = [...kept].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return {
    count: tags.length,
    kept: kept.length,
    ordered: true,
    adler32: adler32(Buffer.from(goJsonStringArray(descending), 'utf8')),
    tags: descending.length <= MAX_PLACES ? descending : undefined,
  };
}

const page = (tags: readonly string[], name = 'org/app'): Buffer =>
  Buffer.from(JSON.stringify({ name, tags }), 'utf8');

/** The helper's answer for a page, with the tags cut from the page's text at the places given. */
async function summarize(body: Uint8Array, suffix?: string) {
  const pending = summarizeTagPageSoon(body, suffix === undefined ? undefined : Buffer.from(suffix));
  expect(pending, 'the helper took the page').toBeDefined();
  return withTags(await pending!.collect(), body);
}

/** An answer with the tags cut from the page's text at its places (instead of the places). */
function withTags(answer: Awaited<ReturnType<PendingSummary['collect']>>, body: Uint8Array) {
  if (answer === undefined) return answer;
  const { places, ...summary } = answer;
  const text = Buffer.from(body).toString('latin1');
  const tags = places
    ? Array.from({ length: places.length / 2 }, (_, i) => text.slice(places[2 * i], places[2 * i + 1]))
    : undefined;
  return { ...summary, tags };
}

/** Printable ASCII a tag may hold as it is in Go's JSON: not `"`, `\`, `<`, `>`, `&`. */
const PLAIN = [...Array(0x7f - 0x20).keys()]
  .map((i) => String.fromCharCode(0x20 + i))
  .filter((c) => !'"\\<>&'.includes(c));

/** Shuffles `items` in place (Fisher–Yates) with the seeded `next`. */
function shuffle<T>(items: T[], next: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function randomTags(next: () => number, allowLong = true): string[] {
  const long = allowLong && next() < 0.2;
  // Pages of long tags stay within the helper's buffer.
  const n = next() < 0.05 ? 0 : Math.floor(next() * (long ? 60 : 1500));
  // A small alphabet makes long shared prefixes and duplicates; the full one makes anything.
  const alphabet = next() < 0.5 ? ['1', '.', '0', 'a', '-'] : PLAIN;
  const tags: string[] = [];
  for (let i = 0; i < n; i++) {
    const length = long && next() < 0.5 ? 1000 + Math.floor(next() * 3000) : Math.floor(next() * 24);
    let t = '';
    for (let j = 0; j < length; j++) t += alphabet[Math.floor(next() * alphabet.length)];
    if (next() < 0.1) t += '.sig';
    tags.push(t);
  }
  return tags.sort();
}

beforeAll(async () => {
  // The tests count the helper's answers: on a busy machine (CI runs test files side by side) a
  // late answer must not become a parse. The test of a helper that stops answering sets it back.
  summaryTuning.answerWaitMs = 10_000;
  expect(await startSummaryThreadForTests()).toBe(true);
}, 30_000);

afterAll(() => {
  summaryTuning.answerWaitMs = ANSWER_WAIT_MS;
});

afterEach(() => {
  delete process.env[TAG_THREAD_ENV];
});

describe('the tag-page summary thread', () => {
  it('answers what Flux computes from the parsed tags, on 300 generated pages', async () => {
    const next = seededRandom(20261130);
    for (let i = 0; i < 300; i++) {
      const tags = randomTags(next);
      // Suffixes are never empty (an exclusion `^.*<literal>$` has a literal).
      const suffix = i % 3 === 0 ? undefined : i % 3 === 1 ? '.sig' : tags[0]?.slice(-2) || '.0';
      expect(await summarize(page(tags), suffix), `page ${i}`).toEqual(expected(tags, suffix));
    }
  });

  it('takes the edge cases: no tags, an empty tag, a tag that is the whole suffix, the newline Go ends bodies with', async () => {
    expect(await summarize(page([]), '.sig')).toEqual(expected([]));
    expect(await summarize(page(['', 'a']))).toEqual(expected(['', 'a']));
    expect(await summarize(page(['.sig', 'a.sig', 'b']), '.sig')).toEqual(
      expected(['.sig', 'a.sig', 'b'], '.sig'),
    );
    expect(await summarize(Buffer.concat([page(['1.0', '1.1']), Buffer.from('\n')]))).toEqual(
      expected(['1.0', '1.1']),
    );
    // Equal neighbours are in order, in either direction.
    expect(await summarize(page(['a', 'a', 'b']))).toEqual(expected(['a', 'a', 'b']));
  });

  it('keeps the sums exact on tags long enough to need the modular reduction', async () => {
    const tags = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, '0')}${'~'.repeat(4000)}`);
    expect(await summarize(page(tags), '~')).toEqual(expected(tags, '~'));
    expect(await summarize(page(tags))).toEqual(expected(tags));
  });

  it(`gives no places for a page of more than ${MAX_PLACES} kept tags, only the summary`, async () => {
    const tags = Array.from({ length: MAX_PLACES + 10 }, (_, i) => String(i).padStart(5, '0'));
    const answer = await summarize(page(tags));
    expect(answer).toEqual(expected(tags));
    expect(answer).toHaveProperty('tags', undefined);
    // With a few excluded, exactly MAX_PLACES are kept: places again.
    const marked = tags.map((t, i) => (i < 10 ? `${t}.sig` : t)).sort();
    expect(await summarize(page(marked), '.sig')).toEqual(expected(marked, '.sig'));
  });

  it('declines a page with a raw control character, which JSON does not allow in a string', async () => {
    expect(await summarize(Buffer.from('{"name":"org/app","tags":["a\tb"]}'))).toBeUndefined();
    expect(await summarize(Buffer.from('{"name":"org/\napp","tags":["a"]}'))).toBeUndefined();
    // DEL is not a control character to JSON.
    expect(await summarize(page(['a\u007fb']))).toEqual(expected(['a\u007fb']));
  });

  it("sorts a page out of order (as ECR lists tags) into Flux's order: the kept tags and the revision of the sorted page", async () => {
    expect(await summarize(page(['1.0', '0.9']))).toEqual(expected(['1.0', '0.9']));
    // A prefix sorts before the longer tag.
    expect(await summarize(page(['abc', 'ab']))).toEqual(expected(['abc', 'ab']));
    const shuffled = ['b.sig', 'a', 'c', 'b', 'd', 'a.sig', 'b'];
    expect(await summarize(page(shuffled), '.sig')).toEqual(expected(shuffled, '.sig'));
    expect(await summarize(page(['ab', 'abc']))).toEqual(expected(['ab', 'abc']));
    const next = seededRandom(20261201);
    for (let i = 0; i < 300; i++) {
      const tags = randomTags(next);
      // Shuffled; in descending order (every merge takes from the right); in order but for one
      // swapped pair (runs already in order are copied, not merged).
      const kind = i % 3;
      if (kind === 0) shuffle(tags, next);
      else if (kind === 1) tags.reverse();
      else if (tags.length > 1) {
        const k = Math.floor(next() * (tags.length - 1));
        [tags[k], tags[k + 1]] = [tags[k + 1]!, tags[k]!];
      }
      const suffix = i % 4 === 0 ? undefined : '.sig';
      expect(await summarize(page(tags), suffix), `page ${i}`).toEqual(expected(tags, suffix));
    }
  });

  it(`leaves a page out of order with more than ${MAX_PLACES} kept tags to the caller to sort: no places, no revision`, async () => {
    const tags = Array.from({ length: MAX_PLACES + 10 }, (_, i) => String(i).padStart(5, '0')).reverse();
    const answer = await summarize(page(tags));
    expect(answer).toMatchObject({ count: MAX_PLACES + 10, kept: MAX_PLACES + 10, ordered: false });
    expect(answer).toHaveProperty('tags', undefined);
    // With ten excluded, exactly MAX_PLACES are kept: sorted by the helper.
    const marked = tags.map((t, i) => (i % 400 === 0 && i < 4000 ? `${t}.sig` : t));
    expect(await summarize(page(marked), '.sig')).toEqual(expected(marked, '.sig'));
  });

  it('declines every other layout, since only the distribution form maps bytes to parsed tags', async () => {
    for (const text of [
      '{"tags":["a"],"name":"org/app"}',
      '{"name":"org/app","tags":null}',
      '{"name": "org/app","tags":["a"]}',
      '{"name":"org/app","tags":[ "a"]}',
      '{"name":"org/app","tags":["a" ,"b"]}',
      '{"name":"org/app","tags":["a"],"tags":["b"]}',
      '{"name":"org/app","tags":["a"],"extra":1}',
      '{"name":"org/app","tags":["a",1]}',
      '{"name":"org/app","tags":["a"]',
      '{"name":"org/app","tags":["a"]}x',
      ' {"name":"org/app","tags":["a"]}',
      '{"name":"org/app","tags":["a","b]}',
      '{"name":"org/app","tags":[,"a"]}',
      '{"name":"org/app","child":[],"tags":["a"]}',
      '{"name":"org/app"}',
      '',
    ]) {
      expect(await summarize(Buffer.from(text)), text).toBeUndefined();
    }
  });

  it('leaves a page larger than its buffer to the caller, and the next page still goes to the helper', async () => {
    const before = summaryStats.inline;
    expect(summarizeTagPageSoon(Buffer.alloc(BODY_BYTES + 1, 0x20), undefined)).toBeUndefined();
    expect(summaryStats.inline).toBe(before + 1);
    expect(await summarize(page(['a']))).toEqual(expected(['a']));
  });

  it('answers pages handed over together, each with its own answer', async () => {
    const pages = Array.from({ length: 40 }, (_, i) => [`${i}.0`, `${i}.1`, `${i}.2`].sort());
    const bodies = pages.map((tags) => page(tags));
    const pending = bodies.map((body) => summarizeTagPageSoon(body, undefined));
    const answers = await Promise.all(pending.map((p) => p?.collect() ?? Promise.resolve(undefined)));
    // Every slot took a page (none is freed before its answer is collected); the pages beyond
    // them were left to the caller.
    expect(pending.filter((p) => p !== undefined)).toHaveLength(SLOTS);
    expect(answers.filter((a) => a !== undefined)).toHaveLength(SLOTS);
    answers.forEach((answer, i) => {
      if (answer !== undefined)
        expect(withTags(answer, bodies[i]!), `page ${i}`).toEqual(expected(pages[i]!));
    });
  });
});

describe('scans with the summary thread', () => {
  let reg: FakeRegistry;
  const repositories: Record<string, string[]> = {};
  beforeAll(async () => {
    const next = seededRandom(7);
    // Pages that fit the helper's buffer (no 4,000-byte tags).
    for (let i = 0; i < 24; i++) repositories[`team/app${i}`] = randomTags(next, false);
    // Not summarised: a tag Go escapes, and the repositories listed over pages (> 1,000 tags).
    repositories['team/escaped'] = ['a<b', 'c'];
    reg = await startFakeRegistry({ repositories });
  });

  it('give exactly the results of scans without it, and the helper answered the plain pages', async () => {
    const images = Object.keys(repositories).map((name) => `${reg.host}/${name}`);
    for (const exclusionList of [undefined, ['^.*-rc$'], ['^x', '^y']]) {
      const options = { concurrency: 4, ...(exclusionList ? { exclusionList } : {}) };
      process.env[TAG_THREAD_ENV] = 'off';
      const without = await scanImageRepositories(images, options);
      delete process.env[TAG_THREAD_ENV];
      const answered = summaryStats.answered;
      const withHelper = await scanImageRepositories(images, options);
      const strip = (outcomes: typeof without) =>
        outcomes.map((o) => {
          if (!o.ok) throw new Error(String(o.error));
          const { scanTime: _, ...rest } = o.result;
          return rest;
        });
      expect(strip(withHelper)).toEqual(strip(without));
      // Two exclusion patterns are not one suffix: no page goes to the helper. Otherwise every
      // lone page (the scan asks for 1,000 tags a page) that holds no character Go escapes does.
      const lone = Object.entries(repositories).filter(
        ([name, tags]) => tags.length <= 1000 && name !== 'team/escaped',
      ).length;
      expect(lone).toBeGreaterThan(10);
      expect(summaryStats.answered - answered).toBe(exclusionList?.length === 2 ? 0 : lone);
    }
  });
});

describe('a helper that stops answering', () => {
  it('leaves the page to the caller after the wait, and scans go on without it', async () => {
    const ended = terminateSummaryThreadForTests();
    const inline = summaryStats.inline;
    summaryTuning.answerWaitMs = ANSWER_WAIT_MS;
    const started = Date.now();
    // Handed over while the helper is ending: never answered.
    const pending = summarizeTagPageSoon(page(['1.0', '1.1']), undefined);
    expect(pending).toBeDefined();
    try {
      expect(await pending!.collect()).toBeUndefined();
    } finally {
      summaryTuning.answerWaitMs = 10_000;
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(ANSWER_WAIT_MS - 5);
    expect(summaryStats.inline).toBe(inline + 1);
    await ended;
    // A helper that has exited is not used: pages are not handed over, and scans are parsed.
    expect(summarizeTagPageSoon(page(['1.0']), undefined)).toBeUndefined();
    const reg = await startFakeRegistry({ repositories: { 'org/app': ['1.1', '1.0', 'x.sig'] } });
    const [out] = await scanImageRepositories([`${reg.host}/org/app`]);
    expect(out?.ok && out.result.tags).toEqual(['1.1', '1.0']);
    // Later tests in this file use a fresh helper.
    expect(await startSummaryThreadForTests()).toBe(true);
  });
});

describe('registries that do not sort their tags', () => {
  it('their pages are read and sorted by the helper too, with the results of a scan without it', async () => {
    const repositories: Record<string, string[]> = {};
    for (let i = 0; i < 10; i++)
      repositories[`ecr/app${i}`] = [`${i}.2`, `${i}.10`, `${i}.3.sig`, `${i}.1`, `${i}.9`];
    const reg = await startFakeRegistry({ repositories });
    const images = Object.keys(repositories).map((name) => `${reg.host}/${name}`);
    process.env[TAG_THREAD_ENV] = 'off';
    const without = await scanImageRepositories(images, { concurrency: 1 });
    delete process.env[TAG_THREAD_ENV];
    const submitted = summaryStats.submitted;
    const withHelper = await scanImageRepositories(images, { concurrency: 1 });
    expect(summaryStats.submitted - submitted).toBe(10);
    const results = (outcomes: typeof without) =>
      outcomes.map((o) => (o.ok ? [o.result.tags, o.result.revision] : o.error));
    expect(results(withHelper)).toEqual(results(without));
    expect(results(withHelper)[0]).toEqual([['0.9', '0.2', '0.10', '0.1'], expect.any(String)]);
  });
});

describe('when the summary thread starts', () => {
  let reg: FakeRegistry;
  const images: string[] = [];
  beforeAll(async () => {
    const repositories: Record<string, string[]> = {};
    for (let i = 0; i < START_AFTER_PAGES + 8; i++) repositories[`org/app${i}`] = ['1.0', '1.1'];
    reg = await startFakeRegistry({ repositories });
    images.push(...Object.keys(repositories).map((name) => `${reg.host}/${name}`));
  });

  it(`starts once ${START_AFTER_PAGES} pages were scanned, on 2 cores`, async () => {
    resetSummaryThreadForTests({ cores: 2 });
    const started = summaryStats.threadsStarted;
    await scanImageRepositories(images.slice(0, START_AFTER_PAGES - 1), { concurrency: 4 });
    expect(summaryStats.threadsStarted).toBe(started);
    await scanImageRepositories(images.slice(START_AFTER_PAGES - 1), { concurrency: 4 });
    await expect.poll(() => summaryStats.threadsStarted, { timeout: 20_000 }).toBe(started + 1);
  });

  it('never starts on one core, or when turned off', async () => {
    resetSummaryThreadForTests({ cores: 1 });
    const started = summaryStats.threadsStarted;
    await scanImageRepositories(images, { concurrency: 4 });
    resetSummaryThreadForTests({ cores: 2 });
    process.env[TAG_THREAD_ENV] = 'off';
    await scanImageRepositories(images, { concurrency: 4 });
    expect(summaryStats.threadsStarted).toBe(started);
  });
});
