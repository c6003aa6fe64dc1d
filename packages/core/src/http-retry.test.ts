import { describe, expect, it } from 'vitest';
import {
  abortableSleep,
  backoffCeiling,
  backoffDelay,
  defaultRetryOn,
  isIdempotentMethod,
  parseRetryAfter,
} from './http-retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:29:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
    // The obsolete RFC 850 form is still an HTTP-date.
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:10 GMT', now)).toBe(10_000);
  });

  it('reads the zone-less asctime form as GMT whatever the local time zone', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      expect(parseRetryAfter('Wed Oct 21 07:28:05 2015', now)).toBe(5_000);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('returns undefined for missing or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const cfg = { baseMs: 500, maxMs: 30_000, factor: 2 };

  it('grows the ceiling exponentially up to maxMs', () => {
    expect([0, 1, 2, 3, 6, 10].map((n) => backoffCeiling(n, cfg))).toEqual([
      500, 1000, 2000, 4000, 30_000, 30_000,
    ]);
  });

  it('full jitter: every delay lies in [0, ceiling] and the spread covers the range', () => {
    for (let retry = 0; retry < 8; retry++) {
      const ceiling = backoffCeiling(retry, cfg);
      const delays = Array.from({ length: 200 }, () => backoffDelay(retry, cfg));
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
      // Not a constant: jitter spreads retries of many clients.
      expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(ceiling / 4);
    }
    expect(backoffDelay(2, cfg, () => 0)).toBe(0);
    expect(backoffDelay(2, cfg, () => 1)).toBe(2000);
  });
});

describe('retry predicates', () => {
  it('retries 408, 429 and 5xx except 501', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) expect(defaultRetryOn(s)).toBe(true);
    for (const s of [200, 301, 400, 401, 403, 404, 409, 425, 501, 505]) expect(defaultRetryOn(s)).toBe(false);
  });

  it('knows the idempotent methods', () => {
    for (const m of ['GET', 'head', 'PUT', 'DELETE', 'OPTIONS']) expect(isIdempotentMethod(m)).toBe(true);
    for (const m of ['POST', 'PATCH', 'CONNECT']) expect(isIdempotentMethod(m)).toBe(false);
  });
});

describe('abortableSleep', () => {
  it('rejects at once when aborted, and when already aborted', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = abortableSleep(10_000, ac.signal);
    setTimeout(() => ac.abort(new Error('stop')), 20);
    await expect(p).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(abortableSleep(10, ac.signal)).rejects.toThrow('stop');
  });
});
