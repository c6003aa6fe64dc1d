/**
 * The error class of `@tidewatch/registry`. Every failure that is not a plain HTTP failure
 * ({@link HttpError}) or invalid user configuration ({@link ConfigError}) is a {@link RegistryError}.
 *
 * @packageDocumentation
 */
import { TidewatchError } from '@tidewatch/core';
import type { ErrorCode, TidewatchErrorOptions } from '@tidewatch/core';

/** The codes a {@link RegistryError} carries (each has a row in the README's "Errors" table). */
export type RegistryErrorCode = Extract<
  ErrorCode,
  | 'REGISTRY_REFERENCE_INVALID'
  | 'REGISTRY_AUTH'
  | 'REGISTRY_PROTOCOL'
  | 'REGISTRY_UNSAFE_URL'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_RATE_LIMITED'
  | 'CREDENTIAL_PROVIDER'
>;

/** Docker Hub style rate-limit figures read from `ratelimit-*` response headers. */
export interface RateLimitInfo {
  /** Requests allowed per window (`ratelimit-limit`). */
  readonly limit?: number;
  /** Requests left in the current window (`ratelimit-remaining`). */
  readonly remaining?: number;
  /** Window length in seconds (the `w=` parameter). */
  readonly windowSeconds?: number;
  /** What the registry counts against (`docker-ratelimit-source`, usually the client IP). */
  readonly source?: string;
  /** How long the registry asked us to wait (`Retry-After`), in ms. */
  readonly retryAfterMs?: number;
}

/** Options of {@link RegistryError}. */
export interface RegistryErrorOptions extends TidewatchErrorOptions {
  /** Rate-limit figures, for `REGISTRY_RATE_LIMITED`. */
  readonly rateLimit?: RateLimitInfo;
  /** HTTP status that led to the error, when there was one. */
  readonly status?: number;
}

/**
 * A registry operation failed: a bad reference, refused credentials, an unsafe URL offered by the
 * registry, a missing repository, a rate limit, or a protocol violation (garbage JSON, a
 * pagination loop). Messages follow `[registry:<engine>] what failed: detail` and never contain
 * secrets.
 *
 * @example
 * ```ts
 * try { await scanImageTags({ image: 'ghcr.io/org/app' }); }
 * catch (err) { if (err instanceof RegistryError && err.code === 'REGISTRY_RATE_LIMITED') backOff(err.rateLimit); }
 * ```
 */
export class RegistryError extends TidewatchError {
  /** Rate-limit figures, set for `REGISTRY_RATE_LIMITED`. */
  readonly rateLimit: RateLimitInfo | undefined;
  /** The HTTP status behind the error, if any. */
  readonly status: number | undefined;

  /**
   * @param code - one of {@link RegistryErrorCode}.
   * @param scope - `registry:<engine>` (or `registry:<credential provider>`).
   * @param message - `what failed: detail`, already free of secrets.
   */
  constructor(code: RegistryErrorCode, scope: string, message: string, options: RegistryErrorOptions = {}) {
    super(code, `[${scope}] ${message}`, options);
    this.rateLimit = options.rateLimit;
    this.status = options.status;
  }
}
