import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { FLUX_INTERVAL_PATTERN, FLUX_TIMEOUT_PATTERN, parseGoDuration } from './duration.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['0', 0],
    ['-2m', -120_000],
    ['+5s', 5_000],
    ['1h0m0s', 3_600_000],
    ['.5s', 500],
    ['5.s', 5_000],
    ['1500us', 1.5],
    ['1500\u00b5s', 1.5],
    ['1500\u03bcs', 1.5],
    ['2000000ns', 2],
    ['1m30s500ms', 90_500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['h', 'time: invalid duration "h"'],
    ['.s', 'time: invalid duration ".s"'],
    ['-', 'time: invalid duration "-"'],
    ['1 m', 'time: unknown unit " m" in duration "1 m"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
  ])('%j is rejected with Go wording', (text, message) => {
    let error: unknown;
    try {
      parseGoDuration(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.message).toBe(message);
  });
});

describe('Flux duration patterns', () => {
  it('interval accepts ms/s/m/h and nothing else', () => {
    for (const ok of ['1h', '30m', '1m30s', '1.5h', '500ms'])
      expect(FLUX_INTERVAL_PATTERN.test(ok)).toBe(true);
    for (const bad of ['1d', '-1m', '1', '1us', ' 1m', '1h ', '0'])
      expect(FLUX_INTERVAL_PATTERN.test(bad)).toBe(false);
  });

  it('timeout has no hours', () => {
    expect(FLUX_TIMEOUT_PATTERN.test('60m')).toBe(true);
    expect(FLUX_TIMEOUT_PATTERN.test('60s')).toBe(true);
    expect(FLUX_TIMEOUT_PATTERN.test('1h')).toBe(false);
  });
});
