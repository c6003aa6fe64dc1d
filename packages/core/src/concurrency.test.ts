import { describe, expect, it } from 'vitest';
import { AbortError } from './errors.js';
import { createKeyedLimiter, createLimiter, mapSettled } from './concurrency.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrency', () => {
  it('createLimiter bounds in-flight calls', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limit(async () => {
          active++;
          max = Math.max(max, active);
          await tick(5);
          active--;
        }),
      ),
    );
    expect(max).toBe(2);
  });

  it('createKeyedLimiter limits per key, not globally', async () => {
    const limit = createKeyedLimiter(1);
    const active = new Map<string, number>();
    let maxPerKey = 0;
    let maxTotal = 0;
    await Promise.all(
      ['a', 'a', 'b', 'b', 'a', 'b'].map((key) =>
        limit(key, async () => {
          active.set(key, (active.get(key) ?? 0) + 1);
          maxPerKey = Math.max(maxPerKey, active.get(key)!);
          maxTotal = Math.max(
            maxTotal,
            [...active.values()].reduce((x, y) => x + y, 0),
          );
          await tick(5);
          active.set(key, active.get(key)! - 1);
        }),
      ),
    );
    expect(maxPerKey).toBe(1);
    expect(maxTotal).toBe(2);
  });

  it('mapSettled isolates failures and keeps input order', async () => {
    const out = await mapSettled(
      [1, 2, 3],
      async (n) => {
        await tick(10 - n * 3);
        if (n === 2) throw new Error('two');
        return n * 10;
      },
      { concurrency: 3 },
    );
    expect(out.map((r) => r.input)).toEqual([1, 2, 3]);
    expect(out[0]).toMatchObject({ ok: true, value: 10 });
    expect(out[1]).toMatchObject({ ok: false });
    expect(out[2]).toMatchObject({ ok: true, value: 30 });
  });

  it('mapSettled stops starting work once aborted', async () => {
    const ac = new AbortController();
    const started: number[] = [];
    const out = await mapSettled(
      [1, 2, 3, 4],
      async (n) => {
        started.push(n);
        if (n === 1) ac.abort();
        return n;
      },
      { concurrency: 1, signal: ac.signal },
    );
    expect(started).toEqual([1]);
    expect(out.slice(1).every((r) => !r.ok && r.error instanceof AbortError)).toBe(true);
  });
});
