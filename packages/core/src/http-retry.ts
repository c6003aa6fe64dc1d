/**
 * Retry policy of the HTTP client: which statuses are retried, which methods are idempotent, the
 * exponential backoff with full jitter, `Retry-After` parsing and an abortable sleep.
 *
 * @packageDocumentation
 */

/**
 * Statuses retried by default: 408 Request Timeout, 429 Too Many Requests, 500, 502, 503, 504.
 * 501 Not Implemented is permanent, and 425 Too Early only concerns TLS early data, which tidewatch
 * never sends.
 */
export const DEFAULT_RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** The default `retryOn` predicate: whether `status` is in {@link DEFAULT_RETRY_STATUSES}. */
export function defaultRetryOn(status: number): boolean {
  return DEFAULT_RETRY_STATUSES.has(status);
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Whether an HTTP method is idempotent (RFC 9110 §9.2.2), so that a failed request may be repeated. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Backoff settings, all in milliseconds except `factor`. */
export interface BackoffOptions {
  /** Upper bound of the first delay. @default 500 */
  readonly baseMs?: number;
  /** Upper bound of any delay. @default 30_000 */
  readonly maxMs?: number;
  /** Growth of the upper bound per retry. @default 2 */
  readonly factor?: number;
}

/**
 * The upper bound of the delay before retry number `retry` (0 for the first retry):
 * `min(maxMs, baseMs * factor^retry)`.
 */
export function backoffCeiling(retry: number, backoff: Required<BackoffOptions>): number {
  return Math.min(backoff.maxMs, backoff.baseMs * backoff.factor ** retry);
}

/**
 * Delay before retry number `retry` (0-based), exponential with full jitter: a uniform random value
 * in `[0, backoffCeiling(retry)]`, so that many clients failing together do not retry together.
 */
export function backoffDelay(
  retry: number,
  backoff: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  return Math.round(random() * backoffCeiling(retry, backoff));
}

/**
 * Parses a `Retry-After` header value (RFC 9110 §10.2.3): either a non-negative whole number of
 * seconds or an HTTP-date. Returns the wait in milliseconds from `nowMs` (0 when the date is past),
 * or `undefined` when the value is missing or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('120', Date.now()); // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60000
 * ```
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) {
    const seconds = Number(v);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Only date forms: a bare negative or fractional number is invalid, not a date.
  if (!/[a-z]/i.test(v)) return undefined;
  // HTTP-dates are always GMT; the asctime form carries no zone and would otherwise read as local time.
  const at = Date.parse(/\b(GMT|UTC)\b|[+-]\d{4}$/i.test(v) ? v : `${v} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Waits `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts (also when it
 * already has).
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
