/**
 * Go `time.ParseDuration`, as Flux uses it for `interval` and `timeout` fields, plus the
 * validation patterns Flux's CRDs put on those fields.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../errors.js';

/**
 * The CRD pattern of every Flux `interval` field (and `Provider.spec.interval`):
 * decimal numbers with a unit of `ms`, `s`, `m` or `h`, no sign, no spaces.
 */
export const FLUX_INTERVAL_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

/**
 * The CRD pattern of every Flux `timeout` field: like {@link FLUX_INTERVAL_PATTERN} but without
 * hours (`1h` is rejected, `60m` is accepted).
 */
export const FLUX_TIMEOUT_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

/** Nanoseconds per unit, as in Go's `time` package. */
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3, // U+00B5 micro sign
  '\u03bcs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Largest duration Go can represent (max int64 nanoseconds). */
const MAX_NS = 2 ** 63 - 1; // rounds to 2^63 as a double: the comparison below is exact enough for an overflow check

/** Builds Go's error wording: `time: invalid duration "x"`, `time: missing unit in duration "1"`. */
function invalid(text: string, detail?: string): ConfigError {
  const message =
    detail === undefined
      ? `time: invalid duration ${JSON.stringify(text)}`
      : `time: ${detail} in duration ${JSON.stringify(text)}`;
  return new ConfigError('core:duration', [{ path: '', message }]);
}

/**
 * Parses a Go duration string (`1h30m`, `1.5h`, `500ms`, `10s`, `-2m`, `1µs`, `0`) into
 * milliseconds, with exactly the grammar of Go's `time.ParseDuration`: an optional sign, then one
 * or more decimal numbers each followed by a unit (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`).
 * The result may be fractional (`1500us` → `1.5`).
 *
 * Flux fields are stricter than Go (no sign, no `ns`/`us`, and no `h` for timeouts); check them
 * with {@link FLUX_INTERVAL_PATTERN} or {@link FLUX_TIMEOUT_PATTERN} first.
 *
 * @throws {@link ConfigError} with Go's wording (`time: invalid duration "x"`) when the text is not
 *   a duration or overflows Go's int64 nanoseconds.
 * @example
 * ```ts
 * parseGoDuration('1h30m'); // 5_400_000
 * parseGoDuration('1.5h');  // 5_400_000
 * parseGoDuration('500ms'); // 500
 * ```
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid(text);
  let totalNs = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const frac = number?.[2];
    if (whole === '' && (frac === undefined || frac === '')) throw invalid(text);
    rest = rest.slice(number![0].length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') throw invalid(text, 'missing unit');
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw invalid(text, `unknown unit ${JSON.stringify(unit)}`);
    rest = rest.slice(unit.length);
    const value = Number(`${whole === '' ? '0' : whole}.${frac ?? ''}0`);
    totalNs += value * scale;
    if (totalNs > MAX_NS) throw invalid(text);
  }
  return (sign * totalNs) / 1e6;
}
