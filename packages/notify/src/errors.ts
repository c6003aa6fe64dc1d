/**
 * Errors of `@tidewatch/notify`.
 *
 * @packageDocumentation
 */
import { TidewatchError } from '@tidewatch/core';
import type { ErrorCode, TidewatchErrorOptions } from '@tidewatch/core';

/** Options of {@link NotifyError}. */
export interface NotifyErrorOptions extends TidewatchErrorOptions {
  /** The HTTP status the provider's endpoint answered with, if any. */
  readonly status?: number;
}

/**
 * A notification could not be delivered (`NOTIFY_DELIVERY`), or the provider cannot handle the
 * event (`NOTIFY_UNSUPPORTED`). The message never contains a secret.
 *
 * @example
 * ```ts
 * try { await notifier.send(event); } catch (err) {
 *   if (err instanceof NotifyError && err.retryable) requeue(event);
 * }
 * ```
 */
export class NotifyError extends TidewatchError {
  /** Endpoint status, when a response arrived. */
  readonly status: number | undefined;

  /**
   * @param code - `NOTIFY_DELIVERY` or `NOTIFY_UNSUPPORTED`.
   * @param message - `[notify:<type>] what failed: detail`, already redacted.
   */
  constructor(
    code: Extract<ErrorCode, 'NOTIFY_DELIVERY' | 'NOTIFY_UNSUPPORTED'>,
    message: string,
    options: NotifyErrorOptions = {},
  ) {
    super(code, message, options);
    this.status = options.status;
  }
}

/**
 * An incoming webhook failed verification (`RECEIVER_REJECTED`). {@link status} is the HTTP
 * status Flux's receiver server would answer with (400 for a failed check, 413 for a too large body).
 */
export class ReceiverError extends TidewatchError {
  /** The status a receiver server should answer with. */
  readonly status: number;

  constructor(message: string, options: TidewatchErrorOptions & { readonly status?: number } = {}) {
    super('RECEIVER_REJECTED', message, options);
    this.status = options.status ?? 400;
  }
}
