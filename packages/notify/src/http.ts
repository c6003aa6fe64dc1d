/**
 * The HTTP transport of HTTP providers: Flux's go-retryablehttp policy (4 retries, backoff ceiling
 * 2 s·2^n capped at 30 s, `Retry-After`, no retry on other 4xx) on top of core's HTTP client.
 *
 * @packageDocumentation
 */
import { HttpError, createHttpClient } from '@tidewatch/core';
import type { FetchLike, HttpResponse, Logger, SecretRegistry } from '@tidewatch/core';
import { NotifyError } from './errors.js';
import type { NotifierTls, NotifyRequest, NotifyResponse, NotifyTransport } from './provider.js';

/** Retry knobs; the defaults are go-retryablehttp's. */
export interface NotifyRetryOptions {
  /**
   * Retries after the first attempt.
   * @default 4
   */
  readonly retries?: number;
  /**
   * First backoff wait in ms (doubles each retry).
   * @default 2000
   */
  readonly baseMs?: number;
  /**
   * Longest backoff wait in ms.
   * @default 30000
   */
  readonly maxMs?: number;
}

/** What {@link createNotifyTransport} needs. */
export interface NotifyTransportOptions {
  /** `notify:<type>`. */
  readonly scope: string;
  /** The transport. @default core's (global fetch, or undici when TLS/proxy are set) */
  readonly fetch?: FetchLike | undefined;
  /**
   * Per-attempt timeout in ms (the provider timeout; the delivery deadline bounds all attempts).
   * @default 15000
   */
  readonly timeoutMs?: number;
  /** Secrets to mask in every message. */
  readonly secrets: SecretRegistry;
  /** Debug log. */
  readonly logger: Logger;
  /** Proxy URL. */
  readonly proxy?: string | undefined;
  /** TLS material. */
  readonly tls?: NotifierTls | undefined;
  /** Retry policy. */
  readonly retry?: NotifyRetryOptions | undefined;
}

/** Statuses go-retryablehttp retries: 429, every 5xx except 501, and 0. */
export function isRetriedStatus(status: number): boolean {
  return status === 429 || status === 0 || (status >= 500 && status !== 501);
}

function responseOf(status: number, headers: Headers, body: Uint8Array): NotifyResponse {
  return {
    status,
    headers,
    text: () => Buffer.from(body).toString('utf8'),
    json: () => {
      try {
        return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}

/** Builds the `request failed with status code N: <body>` error Flux reports. */
export function statusError(
  scope: string,
  status: number,
  body: string,
  secrets: SecretRegistry,
  cause?: unknown,
): NotifyError {
  const excerpt = body.length > 512 ? `${body.slice(0, 512)}…` : body;
  return new NotifyError(
    'NOTIFY_DELIVERY',
    secrets.redact(`[${scope}] request failed with status code ${status}: ${excerpt}`),
    { status, retryable: isRetriedStatus(status), ...(cause !== undefined ? { cause } : {}) },
  );
}

/**
 * Creates the transport a provider uses. Non-2xx answers reject with a {@link NotifyError}
 * (unless `throwOnStatus: false`); no message ever contains a secret.
 */
export function createNotifyTransport(options: NotifyTransportOptions): NotifyTransport {
  const { scope, secrets } = options;
  const timeoutMs = options.timeoutMs ?? 15_000;
  // An injected fetch owns the transport; TLS and proxy settings then belong to it.
  const ownTransport =
    options.fetch === undefined && (options.tls !== undefined || options.proxy !== undefined);
  const client = createHttpClient({
    scope,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(ownTransport && options.tls ? { tls: options.tls } : {}),
    ...(ownTransport && options.proxy ? { proxy: options.proxy } : {}),
    timeoutMs,
    retries: options.retry?.retries ?? 4,
    backoff: { baseMs: options.retry?.baseMs ?? 2000, maxMs: options.retry?.maxMs ?? 30_000, factor: 2 },
    // A Retry-After beyond the delivery budget cannot be honoured: fail fast (retryable).
    maxRetryAfterMs: timeoutMs,
    maxBodyBytes: 4 * 1024 * 1024,
    perHostConcurrency: Infinity,
    logger: options.logger,
    secrets,
  });
  return async (req: NotifyRequest) => {
    let res: HttpResponse;
    try {
      res = await client.request({
        url: req.url,
        method: req.method ?? 'POST',
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.retries !== undefined ? { retries: req.retries } : {}),
        throwOnStatus: false,
        retryOn: isRetriedStatus,
        // go-retryablehttp retries POSTs too.
        idempotent: true,
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const detail = err.message.replace(/^\[[^\]]*\]\s*/, '');
      throw new NotifyError('NOTIFY_DELIVERY', secrets.redact(`[${scope}] delivery failed: ${detail}`), {
        cause: err,
        retryable: err.retryable,
        ...(err.status !== undefined ? { status: err.status } : {}),
      });
    }
    const out = responseOf(res.status, res.headers, res.body);
    if ((req.throwOnStatus ?? true) && (res.status < 200 || res.status > 299)) {
      throw statusError(scope, res.status, out.text(), secrets);
    }
    return out;
  };
}
