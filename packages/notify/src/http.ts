/**
 * The HTTP transport of HTTP providers: Flux's go-retryablehttp policy (4 retries, 2 s·2^n capped
 * at 30 s, `Retry-After` on 429/503, no retry on other 4xx) on top of core's HTTP client.
 *
 * @packageDocumentation
 */
import type { FetchLike, Logger, SecretRegistry } from '@tidewatch/core';
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
  /** The transport. */
  readonly fetch: FetchLike;
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
  const retries = options.retry?.retries ?? 4;
  const baseMs = options.retry?.baseMs ?? 2000;
  const maxMs = options.retry?.maxMs ?? 30_000;
  // Interim policy loop until core's createHttpClient lands; see README "decisions".
  const attempt = async (req: NotifyRequest, method: string): Promise<NotifyResponse> => {
    let res: Response;
    try {
      res = await options.fetch(req.url, {
        method,
        headers: { ...req.headers },
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason;
      const detail =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : '';
      throw new NotifyError('NOTIFY_DELIVERY', secrets.redact(`[${scope}] ${method} failed: ${detail}`), {
        retryable: true,
      });
    }
    const body = new Uint8Array(await res.arrayBuffer());
    return responseOf(res.status, res.headers, body);
  };
  return async (req: NotifyRequest) => {
    const method = req.method ?? 'POST';
    for (let n = 0; ; n++) {
      let out: NotifyResponse | undefined;
      let failure: NotifyError | undefined;
      try {
        out = await attempt(req, method);
      } catch (err) {
        if (!(err instanceof NotifyError)) throw err;
        failure = err;
      }
      const retry = failure !== undefined || (out !== undefined && isRetriedStatus(out.status));
      if (!retry || n >= retries) {
        if (failure) throw failure;
        if ((req.throwOnStatus ?? true) && (out!.status < 200 || out!.status > 299)) {
          throw statusError(scope, out!.status, out!.text(), secrets);
        }
        return out!;
      }
      let wait = Math.min(maxMs, baseMs * 2 ** n);
      if (out && (out.status === 429 || out.status === 503)) {
        const after = out.headers.get('retry-after');
        if (after !== null) {
          const secs = Number(after);
          const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(after) - Date.now();
          if (Number.isFinite(ms) && ms >= 0) wait = ms;
        }
      }
      options.logger.debug(`[${scope}] retrying in ${wait} ms`, { attempt: n + 1 });
      await sleep(wait, req.signal);
    }
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
