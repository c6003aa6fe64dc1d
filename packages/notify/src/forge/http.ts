/**
 * A small JSON-over-HTTP client for the git forge APIs (GitHub, GitLab, Gitea, Bitbucket, Azure
 * DevOps). It goes through the provider's transport, keeps secrets out of every error, and turns a
 * non-2xx answer into a typed {@link NotifyError}.
 *
 * @packageDocumentation
 */
import { isTidewatchError, redactUrl } from '@tidewatch/core';
import type { SecretRegistry } from '@tidewatch/core';
import { NotifyError } from '../errors.js';
import type { NotifyResponse, NotifyTransport } from '../provider.js';

/** One forge API call. */
export interface ForgeRequest {
  /** HTTP method. */
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** Absolute URL. */
  readonly url: string;
  /** Request headers (auth is added by the client). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The exact body text to send (JSON already encoded). */
  readonly body?: string;
  /** Statuses other than 2xx that count as an answer rather than an error (e.g. 404 = "none"). */
  readonly accept?: readonly number[];
  /** Flux's text for what failed, e.g. `could not list commit statuses`. */
  readonly what: string;
}

/** A forge API answer. */
export interface ForgeResponse {
  /** HTTP status. */
  readonly status: number;
  /** Body text. */
  readonly text: string;
  /** Body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/** Options of {@link createForgeClient}. */
export interface ForgeClientOptions {
  /** `notify:<type>`, the scope of error messages. */
  readonly scope: string;
  /** The provider's HTTP transport (retries, proxy, TLS). */
  readonly request: NotifyTransport;
  /** Headers sent with every request (Authorization, Accept …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Secrets to mask in errors (the provider's registry). */
  readonly secrets: SecretRegistry;
}

/** What {@link createForgeClient} returns. */
export interface ForgeClient {
  /** Sends one request; rejects with a {@link NotifyError} on a network error or an unaccepted status. */
  request(req: ForgeRequest, signal?: AbortSignal): Promise<ForgeResponse>;
}

const BODY_EXCERPT = 512;

/** Creates a {@link ForgeClient} over a provider transport. */
export function createForgeClient(options: ForgeClientOptions): ForgeClient {
  const { scope, secrets } = options;
  return {
    async request(req, signal) {
      const headers: Record<string, string> = { ...options.headers, ...req.headers };
      if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
      let res: NotifyResponse;
      try {
        res = await options.request({
          url: req.url,
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
          ...(signal ? { signal } : {}),
          throwOnStatus: false,
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        const inner = err instanceof Error ? err.message.replace(/^\[[^\]]*\]\s*/, '') : String(err);
        throw new NotifyError(
          'NOTIFY_DELIVERY',
          secrets.redact(`[${scope}] ${req.what}: ${req.method} ${redactUrl(req.url)}: ${inner}`),
          { cause: err, retryable: isTidewatchError(err) ? err.retryable : true },
        );
      }
      const text = res.text();
      const ok = (res.status >= 200 && res.status < 300) || (req.accept ?? []).includes(res.status);
      if (!ok) {
        const excerpt = text.length > BODY_EXCERPT ? `${text.slice(0, BODY_EXCERPT)}…` : text;
        throw new NotifyError(
          'NOTIFY_DELIVERY',
          secrets.redact(
            `[${scope}] ${req.what}: ${req.method} ${redactUrl(req.url)}: ${res.status}${excerpt ? ` ${excerpt}` : ''}`,
          ),
          { status: res.status, retryable: res.status === 429 || (res.status >= 500 && res.status !== 501) },
        );
      }
      return { status: res.status, text, json: res.json() };
    },
  };
}

/** Reads `value[key]` as a string when it is one (lenient parsing of remote data). */
export function str(value: unknown, key: string): string | undefined {
  if (value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/** Reads `value[key]` as an object when it is one. */
export function obj(value: unknown, key: string): unknown {
  if (value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[key];
    if (v && typeof v === 'object') return v;
  }
  return undefined;
}

/** The array inside a JSON answer (`value` itself, or `value[key]`), else `[]`. */
export function list(value: unknown, key?: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (key && value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[key];
    if (Array.isArray(v)) return v;
  }
  return [];
}
