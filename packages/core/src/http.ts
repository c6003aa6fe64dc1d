/**
 * The HTTP client every tidewatch package uses to talk to remote hosts: per-attempt timeouts that
 * cover headers and body, retries with exponential backoff and full jitter, `Retry-After`, a body
 * size cap enforced while streaming, a per-host concurrency limit, manual redirects that never
 * carry credentials to another origin, custom CAs and proxies, and redaction of every secret from
 * errors and logs.
 *
 * @packageDocumentation
 */
import { isAscii } from 'node:buffer';
import { AbortError, ConfigError, HttpError, type ConfigProblem } from './errors.js';
import { BodyTooLargeSignal, raceAbort } from './http-body.js';
import {
  AttemptSignal,
  REDIRECT_STATUSES,
  RequestHeaders,
  createDispatcher,
  fetchTransport,
  isPlainConfig,
  undiciTransport,
  type DispatcherConfig,
  type EnvProxy,
  type Transport,
} from './http-transport.js';
import {
  DEFAULT_RETRY_STATUSES,
  abortableSleep,
  backoffDelay,
  defaultRetryOn,
  isIdempotentMethod,
  parseRetryAfter,
  type BackoffOptions,
} from './http-retry.js';
import { HTTP_THREAD_ENV, threadedTransport, transportThread, type HttpThreadMode } from './http-thread.js';
import { silentLogger, type Logger } from './logger.js';
import type { FetchLike } from './plugin.js';
import { isSecretHeader, isSecretParam, redactText, redactUrl, type SecretRegistry } from './redact.js';

/** The version sent in the default `User-Agent`. A test keeps it equal to `package.json`. */
export const TIDEWATCH_VERSION = '0.1.0';

export { parseRetryAfter, defaultRetryOn, isIdempotentMethod, backoffDelay, DEFAULT_RETRY_STATUSES };
export type { BackoffOptions };
export { tlsConnectOptions } from './http-transport.js';
export type { EnvProxy } from './http-transport.js';

/** PEM (or DER) material accepted for TLS settings. */
export type TlsMaterial = string | Buffer;

/** TLS settings of an {@link HttpClient}. */
export interface HttpTlsOptions {
  /**
   * Extra CA certificates (PEM) to trust. They are *added* to Node's bundled root store
   * (`tls.rootCertificates`), never replace it, so public hosts keep working.
   */
  readonly ca?: TlsMaterial | readonly TlsMaterial[];
  /** Client certificate (PEM) for mutual TLS; requires {@link key}. */
  readonly cert?: TlsMaterial;
  /** Private key (PEM) of {@link cert}. */
  readonly key?: TlsMaterial;
  /** Accept any server certificate. Dangerous; for tests and lab registries only. @default false */
  readonly insecureSkipVerify?: boolean;
}

/** Options of {@link createHttpClient}. Validated once; every problem is reported in one {@link ConfigError}. */
export interface HttpClientOptions {
  /**
   * A `fetch` to send requests with instead of the built-in transport (tests, mocks, other runtimes).
   * Cannot be combined with {@link tls} or {@link proxy}, which configure the built-in one.
   * @default undici's `dispatch()` over a shared keep-alive Agent; a global `fetch` that something
   *   replaced (msw, a test stub) is used instead, so request mocking keeps working
   */
  readonly fetch?: FetchLike;
  /** `package:engine` used in error messages and log lines. @default 'core:http' */
  readonly scope?: string;
  /** Time allowed per attempt for the status line, the headers *and* the whole body. @default 30_000 */
  readonly timeoutMs?: number;
  /** How many times a failed attempt is repeated (so `retries + 1` attempts at most). @default 3 */
  readonly retries?: number;
  /** Exponential backoff with full jitter. @default { baseMs: 500, maxMs: 30_000, factor: 2 } */
  readonly backoff?: BackoffOptions;
  /**
   * The longest `Retry-After` the client waits for. A longer one fails the request at once with a
   * retryable {@link HttpError}, so that a caller (a scheduler) can come back later.
   * @default 60_000
   */
  readonly maxRetryAfterMs?: number;
  /** Largest response body accepted, counted in decoded bytes while streaming. @default 67_108_864 (64 MiB) */
  readonly maxBodyBytes?: number;
  /** Requests in flight at once per URL host (`host:port`). @default 16 */
  readonly perHostConcurrency?: number;
  /** Receives one redacted debug line per attempt and per retry. @default silentLogger */
  readonly logger?: Logger;
  /** `User-Agent` sent unless a request sets its own. @default 'tidewatch/<version>' */
  readonly userAgent?: string;
  /** Extra secret values masked in errors and logs (besides URL credentials and secret headers). */
  readonly secrets?: SecretRegistry;
  /** Custom CAs, client certificate, or no verification. */
  readonly tls?: HttpTlsOptions;
  /** An `http://` or `https://` proxy URL (credentials in its userinfo are allowed and redacted). */
  readonly proxy?: string;
  /**
   * Where the built-in transport runs. `'auto'`: on the calling thread on a machine with fewer
   * than 3 cores (there the thread's extra CPU has no free core to go to); elsewhere on the calling
   * thread until the process has 8 exchanges in flight at once, then on a worker thread shared by
   * every client, which sends the requests and reads the bodies while the calling thread works on
   * what came back (answers, errors and limits are the same); back on the calling thread for 30 s
   * after a 250 ms window in which that thread was busy less than half the time (it was waiting on
   * the worker thread, and inline exchanges cost less CPU). `'on'`: always on that thread, whatever
   * the cores. `'off'`: never. Has no effect with {@link fetch} or a replaced global `fetch`.
   * @default the `TIDEWATCH_HTTP_THREAD` environment variable (`auto`, `on` or `off`), else 'auto'
   */
  readonly thread?: HttpThreadMode;
  /** Waits between attempts; injectable for tests. Must reject when `signal` aborts. @default a timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock, used to read `Retry-After` HTTP-dates. @default Date.now */
  readonly now?: () => number;
}

/** One request. Options given here override the client's for this request only. */
export interface HttpRequest {
  /** Absolute `http:` or `https:` URL. Userinfo becomes a Basic `Authorization` header. */
  readonly url: string | URL;
  /** The HTTP method, upper case. @default 'GET' */
  readonly method?: string;
  /** Request headers (names case-insensitive). `User-Agent` defaults to the client's. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body; kept in memory so that a retry or a 307/308 redirect can send it again. */
  readonly body?: string | Uint8Array | URLSearchParams;
  /** Time limit of each attempt, in ms. @default the client's `timeoutMs` */
  readonly timeoutMs?: number;
  /** Retries after a retryable failure. @default the client's `retries` */
  readonly retries?: number;
  /** Largest response body read, in bytes. @default the client's `maxBodyBytes` */
  readonly maxBodyBytes?: number;
  /** Cancels the request, including a backoff wait or a body being read; rejects with {@link AbortError}. */
  readonly signal?: AbortSignal;
  /**
   * Throw an {@link HttpError} (`HTTP_STATUS`) when the final status is not 2xx (3xx are returned
   * when `followRedirects` is false).
   * @default true
   */
  readonly throwOnStatus?: boolean;
  /** Which statuses are retried. @default 408, 429, 500, 502, 503 and 504 */
  readonly retryOn?: (status: number) => boolean;
  /**
   * Follow 301/302/303/307/308 (at most 10 hops). On a hop to another origin, `Authorization`,
   * `Cookie`, `Proxy-Authorization` and every header {@link isSecretHeader} names are dropped.
   * @default true
   */
  readonly followRedirects?: boolean;
  /**
   * Whether the request may be repeated after a failure.
   * @default true for GET, HEAD, PUT, DELETE, OPTIONS and TRACE; false otherwise (POST, PATCH)
   */
  readonly idempotent?: boolean;
}

/** A complete response, body already in memory. */
export interface HttpResponse {
  /** The final status (after redirects and retries). */
  readonly status: number;
  /** The reason phrase, often empty over HTTP/2. */
  readonly statusText: string;
  /** The final response's headers. */
  readonly headers: Headers;
  /** The final URL after redirects, unredacted (userinfo removed). */
  readonly url: string;
  /** The whole body, decoded (decompressed), at most `maxBodyBytes` long. */
  readonly body: Uint8Array;
  /** Attempts made: 1 plus the retries used (redirect hops do not count). */
  readonly attempts: number;
  /** Whether at least one redirect was followed. */
  readonly redirected: boolean;
  /** The body decoded as UTF-8 (invalid sequences become U+FFFD). */
  text(): string;
  /** The body parsed as JSON; garbage throws an {@link HttpError} with code `HTTP_INVALID_RESPONSE`. */
  json<T = unknown>(): T;
}

/** A configured HTTP client. Create one per component and reuse it (connections are kept alive). */
export interface HttpClient {
  /**
   * Sends a request, retrying and following redirects as configured.
   * @throws {@link HttpError} (`HTTP_STATUS`, `HTTP_TIMEOUT`, `HTTP_NETWORK`, `HTTP_BODY_TOO_LARGE`,
   *   `HTTP_INVALID_RESPONSE`), {@link AbortError} when `signal` aborts, {@link ConfigError} for an
   *   invalid request.
   */
  request(req: HttpRequest): Promise<HttpResponse>;
}

const MAX_REDIRECTS = 10;
const REDIRECT_DRAIN_BYTES = 64 * 1024;
const EXCERPT_CHARS = 512;
const MESSAGE_EXCERPT_CHARS = 200;
const EMPTY_BODY = new Uint8Array(0);
/** Stateless when not streaming, so one decoder serves every response. */
const utf8 = new TextDecoder('utf-8');

/**
 * The body as text, decoded as UTF-8 (as `TextDecoder` does: invalid sequences become U+FFFD, a
 * BOM is dropped). Pure ASCII (most JSON) reads the same in UTF-8 and Latin-1, holds no BOM, and
 * its Latin-1 decoding is a plain copy into a one-byte string, which `JSON.parse` also reads
 * faster than `TextDecoder`'s output (bench/registry.bench.ts). Internal; exported for tests.
 */
export function decodeUtf8(body: Uint8Array): string {
  if (body.byteLength === 0) return '';
  if (!isAscii(body)) return utf8.decode(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
}

interface ResolvedOptions {
  readonly scope: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: Required<BackoffOptions>;
  readonly maxRetryAfterMs: number;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly userAgent: string;
  readonly secrets: SecretRegistry | undefined;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
}

/** What one exchange (one request/response on the wire) produced. */
interface Exchange {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** Undefined for a redirect that will be followed (its body is discarded). */
  readonly body: Uint8Array | undefined;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isPositiveNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function checkNumbers(
  problems: ConfigProblem[],
  prefix: string,
  values: { timeoutMs?: unknown; retries?: unknown; maxBodyBytes?: unknown },
): void {
  if (values.timeoutMs !== undefined && !isPositiveNumber(values.timeoutMs))
    problems.push({ path: `${prefix}timeoutMs`, message: 'must be a positive number of milliseconds' });
  if (values.retries !== undefined && !isNonNegativeInt(values.retries))
    problems.push({ path: `${prefix}retries`, message: 'must be a whole number >= 0' });
  if (
    values.maxBodyBytes !== undefined &&
    !(isNonNegativeInt(values.maxBodyBytes) && values.maxBodyBytes > 0)
  )
    problems.push({ path: `${prefix}maxBodyBytes`, message: 'must be a whole number of bytes > 0' });
}

function validateClientOptions(o: HttpClientOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (o.scope !== undefined && (typeof o.scope !== 'string' || o.scope === ''))
    problems.push({ path: 'scope', message: 'must be a non-empty string' });
  checkNumbers(problems, '', o);
  const b = o.backoff;
  if (b !== undefined) {
    if (
      b.baseMs !== undefined &&
      !(typeof b.baseMs === 'number' && Number.isFinite(b.baseMs) && b.baseMs >= 0)
    )
      problems.push({ path: 'backoff.baseMs', message: 'must be a number >= 0' });
    if (b.maxMs !== undefined && !(typeof b.maxMs === 'number' && Number.isFinite(b.maxMs) && b.maxMs >= 0))
      problems.push({ path: 'backoff.maxMs', message: 'must be a number >= 0' });
    if (
      b.factor !== undefined &&
      !(typeof b.factor === 'number' && Number.isFinite(b.factor) && b.factor >= 1)
    )
      problems.push({ path: 'backoff.factor', message: 'must be a number >= 1' });
  }
  if (
    o.maxRetryAfterMs !== undefined &&
    !(typeof o.maxRetryAfterMs === 'number' && !Number.isNaN(o.maxRetryAfterMs) && o.maxRetryAfterMs >= 0)
  )
    problems.push({ path: 'maxRetryAfterMs', message: 'must be a number >= 0' });
  if (
    o.perHostConcurrency !== undefined &&
    !(
      o.perHostConcurrency === Infinity ||
      (isNonNegativeInt(o.perHostConcurrency) && o.perHostConcurrency >= 1)
    )
  )
    problems.push({ path: 'perHostConcurrency', message: 'must be a whole number >= 1 (or Infinity)' });
  if (o.userAgent !== undefined && typeof o.userAgent !== 'string')
    problems.push({ path: 'userAgent', message: 'must be a string' });
  if (o.thread !== undefined && !THREAD_MODES.includes(o.thread))
    problems.push({ path: 'thread', message: `must be one of ${THREAD_MODES.join(', ')}` });
  const envMode = process.env[HTTP_THREAD_ENV];
  if (o.thread === undefined && envMode !== undefined && envMode !== '' && !isThreadMode(envMode))
    problems.push({
      path: 'thread',
      message: `the ${HTTP_THREAD_ENV} environment variable must be one of ${THREAD_MODES.join(', ')}`,
    });
  if (o.fetch !== undefined && typeof o.fetch !== 'function')
    problems.push({ path: 'fetch', message: 'must be a function' });
  if (o.fetch !== undefined && (o.tls !== undefined || o.proxy !== undefined))
    problems.push({
      path: 'fetch',
      message: 'cannot be combined with tls or proxy (they configure the built-in transport)',
    });
  if (o.tls !== undefined) {
    if ((o.tls.cert === undefined) !== (o.tls.key === undefined))
      problems.push({ path: 'tls', message: 'cert and key must be given together' });
  }
  if (o.proxy !== undefined) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(o.proxy).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      problems.push({
        path: 'proxy',
        message: `must be an http:// or https:// URL, got ${redactUrl(String(o.proxy))}`,
      });
  }
  return problems;
}

/**
 * Reads `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy` and `NO_PROXY`/`no_proxy` (upper case
 * first, as Go does). Loopback hosts are never proxied, as in Go. Internal; exported for tests.
 */
export function readEnvProxy(env: Readonly<Record<string, string | undefined>>): EnvProxy | undefined {
  const pick = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = env[n];
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  };
  const httpsProxy = pick('HTTPS_PROXY', 'https_proxy');
  const httpProxy = pick('HTTP_PROXY', 'http_proxy');
  if (httpsProxy === undefined && httpProxy === undefined) return undefined;
  // Go accepts a proxy without a scheme and reads it as http://.
  const withScheme = (v: string): string => (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
  const noProxy = [pick('NO_PROXY', 'no_proxy'), 'localhost', '127.0.0.1', '[::1]']
    .filter((v): v is string => v !== undefined)
    .join(',');
  return {
    ...(httpsProxy === undefined ? {} : { httpsProxy: withScheme(httpsProxy) }),
    ...(httpProxy === undefined ? {} : { httpProxy: withScheme(httpProxy) }),
    noProxy,
  };
}

const THREAD_MODES: readonly HttpThreadMode[] = ['auto', 'on', 'off'];

function isThreadMode(value: string): value is HttpThreadMode {
  return (THREAD_MODES as readonly string[]).includes(value);
}

/** Exchanges under way in this process, over every client (the `'auto'` thread mode reads it). */
let exchangesInFlight = 0;

/** The global `fetch` as Node installed it; another one means something (msw, a test) replaced it. */
const NATIVE_FETCH: unknown = globalThis.fetch;

/** Error messages of the whole `cause` chain, outermost first (bounded). */
function causeMessages(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 6 && e instanceof Error; i++) {
    out.push(e.message);
    e = e.cause;
  }
  return out;
}

/**
 * Returns `error` itself when no message in its cause chain carries a secret, otherwise a copy of
 * the chain with redacted messages (keeping `name` and `code`), so that no secret survives in a
 * thrown object.
 */
function sanitizeCause(error: unknown, redact: (s: string) => string, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error;
  const clean = causeMessages(error).every((m) => redact(m) === m);
  if (clean) return error;
  const cause = sanitizeCause(error.cause, redact, depth + 1);
  const copy = new Error(redact(error.message), cause === undefined ? undefined : { cause });
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code: string }).code = code;
  return copy;
}

/** The `code` properties found along the cause chain. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 6 && e instanceof Error; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    e = e.cause;
  }
  return codes;
}

function isTlsTrustCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/.test(code);
}

/** The innermost useful message of a network error (`fetch failed` says nothing by itself). */
function networkDetail(error: unknown): string {
  const msgs = causeMessages(error).filter((m) => m && m !== 'fetch failed');
  const inner = msgs.at(-1);
  if (inner === undefined) return 'network error';
  const code = errorCodes(error).at(-1);
  return code && !inner.includes(code) ? `${code}: ${inner}` : inner;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Creates an HTTP client. Options are validated here, once.
 *
 * @throws {@link ConfigError} listing every invalid option.
 * @example
 * ```ts
 * const http = createHttpClient({ scope: 'registry:oci', timeoutMs: 10_000 });
 * const res = await http.request({ url: 'https://ghcr.io/v2/', headers: { accept: 'application/json' } });
 * console.log(res.status, res.json());
 * ```
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const problems = validateClientOptions(options);
  const scope = typeof options.scope === 'string' && options.scope !== '' ? options.scope : 'core:http';
  if (problems.length > 0) throw new ConfigError(scope, problems);

  const opts: ResolvedOptions = {
    scope,
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    backoff: {
      baseMs: options.backoff?.baseMs ?? 500,
      maxMs: options.backoff?.maxMs ?? 30_000,
      factor: options.backoff?.factor ?? 2,
    },
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
    logger: options.logger ?? silentLogger,
    userAgent: options.userAgent ?? `tidewatch/${TIDEWATCH_VERSION}`,
    secrets: options.secrets,
    sleep: options.sleep ?? abortableSleep,
    now: options.now ?? Date.now,
  };
  // Environment proxies apply to the built-in transport only, as in Go's default transport.
  const envProxy =
    options.proxy === undefined && options.fetch === undefined ? readEnvProxy(process.env) : undefined;
  const proxySecrets: string[] = [];
  for (const proxyUrl of [options.proxy, envProxy?.httpProxy, envProxy?.httpsProxy]) {
    if (proxyUrl === undefined) continue;
    try {
      const p = new URL(proxyUrl);
      for (const part of [p.password, p.username]) {
        if (part) proxySecrets.push(safeDecode(part), part);
      }
    } catch {
      // An unparsable environment proxy: undici reports it on first use, redacted like any error.
      proxySecrets.push(proxyUrl);
    }
  }
  const perHost = options.perHostConcurrency ?? 16;
  const limit = createHostLimit(perHost);

  let send: Transport;
  if (options.fetch !== undefined) {
    send = fetchTransport(options.fetch);
  } else {
    const config: DispatcherConfig = {
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
      ...(envProxy === undefined ? {} : { envProxy }),
    };
    const plain = isPlainConfig(config);
    // Created on first use so that building a client stays synchronous and cheap.
    let ready: Transport | undefined;
    let pending: Promise<Transport> | undefined;
    const inline: Transport = (req) => {
      if (ready !== undefined) return ready(req);
      pending ??= createDispatcher(config).then((dispatcher) => (ready = undiciTransport(dispatcher)));
      return pending.then((t) => t(req));
    };
    const envMode = process.env[HTTP_THREAD_ENV];
    const mode: HttpThreadMode =
      options.thread ?? (envMode !== undefined && isThreadMode(envMode) ? envMode : 'auto');
    const threaded = threadedTransport(
      () => transportThread(mode, exchangesInFlight),
      inline,
      plain ? undefined : config,
    );
    send = (req) => {
      // A replaced global fetch (msw, a test stub) is honoured, as it was when fetch was the default.
      if (plain && globalThis.fetch !== NATIVE_FETCH) return fetchTransport(globalThis.fetch)(req);
      return threaded(req);
    };
  }

  return {
    request: (req) => runRequest(req, opts, send, limit, proxySecrets),
  };
}

type KeyedLimit = <T>(key: string, fn: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;

interface HostSlot {
  active: number;
  readonly waiting: (() => void)[];
}

/**
 * At most `max` calls in flight per key (URL host). Under the limit `fn` starts at once, with no
 * queue or promise of its own; over it, the call waits in line, and leaves the line with
 * `signal.reason` when `signal` aborts.
 */
function createHostLimit(max: number): KeyedLimit {
  if (max === Infinity) return (_key, fn) => fn();
  const hosts = new Map<string, HostSlot>();
  const release = (key: string, slot: HostSlot): void => {
    const next = slot.waiting.shift();
    // The slot passes to the next in line; the last one out forgets the host.
    if (next) next();
    else if (--slot.active === 0) hosts.delete(key);
  };
  return <T>(key: string, fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    let slot = hosts.get(key);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      hosts.set(key, slot);
    }
    const s = slot;
    const run = (): Promise<T> => {
      let promise: Promise<T>;
      try {
        promise = fn();
      } catch (error) {
        release(key, s);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the original error through
        return Promise.reject(error);
      }
      return promise.finally(() => release(key, s));
    };
    if (s.active < max) {
      s.active++;
      return run();
    }
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(run());
      };
      const onAbort = (): void => {
        const at = s.waiting.indexOf(start);
        if (at >= 0) s.waiting.splice(at, 1);
        reject(signal?.reason as Error);
      };
      s.waiting.push(start);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
}

async function runRequest(
  req: HttpRequest,
  opts: ResolvedOptions,
  send: Transport,
  limit: KeyedLimit,
  extraSecrets: readonly string[],
): Promise<HttpResponse> {
  const { scope } = opts;
  const signal = req.signal;

  // ---- validate the request once, reporting every problem
  const problems: ConfigProblem[] = [];
  let url: URL | undefined;
  try {
    url = new URL(String(req.url));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push({ path: 'url', message: `must be an http:// or https:// URL, got ${redactUrl(url)}` });
      url = undefined;
    }
  } catch {
    problems.push({ path: 'url', message: `is not an absolute URL: ${redactText(String(req.url))}` });
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (!/^[!#$%&'*+.^_`|~0-9A-Z-]+$/.test(method))
    problems.push({ path: 'method', message: 'is not an HTTP method' });
  checkNumbers(problems, '', req);
  if (problems.length > 0 || url === undefined) throw new ConfigError(scope, problems);

  if (signal?.aborted) throw new AbortError(scope, { cause: signal.reason });

  const timeoutMs = req.timeoutMs ?? opts.timeoutMs;
  const retries = req.retries ?? opts.retries;
  const maxBodyBytes = req.maxBodyBytes ?? opts.maxBodyBytes;
  const retryOn = req.retryOn ?? defaultRetryOn;
  const followRedirects = req.followRedirects ?? true;
  const throwOnStatus = req.throwOnStatus ?? true;
  const idempotent = req.idempotent ?? isIdempotentMethod(method);

  // ---- secrets known for this request: header values and URL userinfo
  const requestSecrets: string[] = [...extraSecrets];
  const headers = new RequestHeaders(req.headers);
  for (const [name, value] of headers.entries()) {
    if (!isSecretHeader(name)) continue;
    requestSecrets.push(value);
    const space = value.indexOf(' ');
    if (space > 0) requestSecrets.push(value.slice(space + 1).trim());
  }
  if (url.username || url.password) {
    const user = safeDecode(url.username);
    const pass = safeDecode(url.password);
    if (!headers.has('authorization')) {
      const basic = Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
      headers.set('authorization', `Basic ${basic}`);
      requestSecrets.push(basic);
    }
    if (pass) requestSecrets.push(pass, url.password);
    url.username = '';
    url.password = '';
  }
  // `searchParams` is built lazily by URL: only when there is a query.
  if (url.search !== '')
    for (const [name, value] of url.searchParams) if (isSecretParam(name)) requestSecrets.push(value);
  if (!headers.has('user-agent') && opts.userAgent) headers.set('user-agent', opts.userAgent);
  // Longest first, so that a secret containing another is masked whole.
  requestSecrets.sort((a, b) => b.length - a.length);
  const redact = (text: string): string =>
    redactText(opts.secrets ? opts.secrets.redact(text) : text, requestSecrets);
  // Redacting is the costliest per-request step after the transport: do it once per URL, and only
  // when something (a log line, an error) needs it.
  let shown: { url: URL; text: string } | undefined;
  const shownUrl = (u: URL): string => {
    if (shown?.url !== u) shown = { url: u, text: redact(redactUrl(u)) };
    return shown.text;
  };
  const logging = opts.logger !== silentLogger;

  let current: URL = url;
  let currentMethod = method;
  let body = req.body;
  let redirects = 0;
  let retriesUsed = 0;
  let credentialsDropped = false;

  const fail = (o: Omit<ConstructorParameters<typeof HttpError>[0], 'scope' | 'url' | 'method'>): HttpError =>
    new HttpError({ scope, url: shownUrl(current), method: currentMethod, ...o });

  for (;;) {
    const attempt = retriesUsed + 1;
    const started = performance.now();
    let exchange: Exchange;
    try {
      // The limiter leaves its line on abort, and the exchange races every await against the
      // signal, so no extra race is needed here.
      exchange = await limit(
        current.host,
        () =>
          exchangeOnce({
            url: current,
            method: currentMethod,
            headers,
            body,
            timeoutMs,
            maxBodyBytes,
            followRedirects,
            signal,
            send,
          }),
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw new AbortError(scope, { cause: signal.reason });
      const err = classifyFailure(error, { fail, redact, timeoutMs, maxBodyBytes });
      if (logging)
        opts.logger.debug(
          `[${scope}] ${currentMethod} ${shownUrl(current)} attempt ${attempt} failed: ${err.code}`,
          {
            method: currentMethod,
            url: shownUrl(current),
            attempt,
            code: err.code,
            durationMs: Math.round(performance.now() - started),
          },
        );
      if (err.retryable && idempotent && retriesUsed < retries) {
        await backoff(backoffDelay(retriesUsed, opts.backoff), err.code);
        retriesUsed++;
        continue;
      }
      throw err;
    }

    const { status } = exchange;
    if (logging)
      opts.logger.debug(`[${scope}] ${currentMethod} ${shownUrl(current)} -> ${status}`, {
        method: currentMethod,
        url: shownUrl(current),
        attempt,
        status,
        durationMs: Math.round(performance.now() - started),
      });

    // ---- redirects, followed by hand so that credentials never leave the origin
    if (exchange.body === undefined) {
      const location = exchange.headers.get('location') ?? '';
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw fail({
          status,
          code: 'HTTP_INVALID_RESPONSE',
          detail: 'redirect with an invalid Location header',
        });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw fail({
          status,
          code: 'HTTP_INVALID_RESPONSE',
          detail: `redirect to unsupported scheme ${next.protocol}`,
        });
      if (redirects >= MAX_REDIRECTS)
        throw fail({ status, code: 'HTTP_INVALID_RESPONSE', detail: `more than ${MAX_REDIRECTS} redirects` });
      redirects++;
      // Credentials in a Location header are never used.
      next.username = '';
      next.password = '';
      if (!credentialsDropped && next.origin !== current.origin) {
        for (const name of headers.names()) if (isSecretHeader(name)) headers.delete(name);
        credentialsDropped = true;
      }
      if (status === 303 || ((status === 301 || status === 302) && currentMethod === 'POST')) {
        if (currentMethod !== 'HEAD') currentMethod = 'GET';
        body = undefined;
        for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language'])
          headers.delete(name);
      }
      current = next;
      continue;
    }

    if (retryOn(status) && idempotent && retriesUsed < retries) {
      // As in go-retryablehttp (Flux's notifier client), only 429 and 503 carry a Retry-After we obey.
      const retryAfter =
        status === 429 || status === 503
          ? parseRetryAfter(exchange.headers.get('retry-after'), opts.now())
          : undefined;
      if (retryAfter !== undefined && retryAfter > opts.maxRetryAfterMs) {
        throw fail({
          status,
          retryable: true,
          ...withBody(excerpt(exchange.body, redact)),
          detail: `server asks to retry after ${Math.ceil(retryAfter / 1000)} s, more than the ${opts.maxRetryAfterMs} ms allowed`,
        });
      }
      await backoff(retryAfter ?? backoffDelay(retriesUsed, opts.backoff), `status ${status}`);
      retriesUsed++;
      continue;
    }

    const ok = status >= 200 && status < 300;
    const redirectReturned = !followRedirects && status >= 300 && status < 400;
    if (!ok && !redirectReturned && throwOnStatus) {
      const text = excerpt(exchange.body, redact);
      throw fail({
        status,
        retryable: retryOn(status),
        ...withBody(text),
        ...(text ? { detail: oneLine(text, MESSAGE_EXCERPT_CHARS) } : {}),
      });
    }
    return makeResponse(exchange, {
      url: current.href,
      attempts: attempt,
      redirected: redirects > 0,
      invalidJson: (cause) =>
        // No status here: the message would read "failed with status 200".
        fail({
          code: 'HTTP_INVALID_RESPONSE',
          detail: `response is not valid JSON: ${redact(cause instanceof Error ? cause.message : String(cause))}`,
          cause: sanitizeCause(cause, redact),
        }),
    });
  }

  async function backoff(ms: number, why: string): Promise<void> {
    if (logging)
      opts.logger.debug(
        `[${scope}] ${currentMethod} ${shownUrl(current)} retrying in ${ms} ms after ${why}`,
        {
          method: currentMethod,
          url: shownUrl(current),
          delayMs: ms,
          attempt: retriesUsed + 1,
        },
      );
    try {
      // Raced as well, so that an injected sleep which ignores the signal still stops at once.
      await raceAbort(opts.sleep(ms, signal), signal);
    } catch (error) {
      if (signal?.aborted) throw new AbortError(scope, { cause: signal.reason });
      throw error;
    }
  }
}

function withBody(text: string | undefined): { body?: string } {
  return text === undefined ? {} : { body: text };
}

function excerpt(body: Uint8Array | undefined, redact: (s: string) => string): string | undefined {
  if (!body || body.byteLength === 0) return undefined;
  const text = utf8.decode(body.subarray(0, EXCERPT_CHARS * 4)).slice(0, EXCERPT_CHARS);
  return redact(text);
}

/** Marks the reason a per-attempt timer aborted a request. */
class AttemptTimeout extends Error {
  constructor() {
    super('attempt timed out');
  }
}

interface ExchangeInput {
  readonly url: URL;
  readonly method: string;
  readonly headers: RequestHeaders;
  readonly body: string | Uint8Array | URLSearchParams | undefined;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly followRedirects: boolean;
  readonly signal: AbortSignal | undefined;
  readonly send: Transport;
}

const swallow = (): void => {};

/** One request on the wire, with its body read, all within `timeoutMs`. */
async function exchangeOnce(input: ExchangeInput): Promise<Exchange> {
  const { signal } = input;
  if (signal?.aborted) throw signal.reason;
  const attempt = new AttemptSignal();
  // One abort promise per attempt, raced against every await below: the caller's signal, the
  // timer and the body cap all go through `abort`, so no listener is added per await.
  let rejectAborted!: (reason: unknown) => void;
  const aborted = new Promise<never>((_resolve, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(swallow);
  const abort = (reason: unknown): void => {
    if (attempt.aborted) return;
    attempt.abort(reason);
    rejectAborted(reason);
  };
  const race = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, aborted]);
  const onAbort = (): void => abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => abort(new AttemptTimeout()), input.timeoutMs);
  exchangesInFlight++;
  try {
    // Raced with the abort, so that even a transport that ignores the signal cannot outlive the timeout.
    const res = await race(
      input.send({
        url: input.url,
        method: input.method,
        headers: input.headers,
        body: input.body,
        signal: attempt,
        ...(input.method === 'HEAD' ? {} : { readCap: input.maxBodyBytes }),
      }),
    );
    if (input.followRedirects && REDIRECT_STATUSES.has(res.status) && res.headers.has('location')) {
      // Drain a small redirect body so that the connection goes back to the pool (registry blob
      // redirects are frequent); a large one is dropped with its connection.
      try {
        await res.discard(REDIRECT_DRAIN_BYTES, race);
      } catch (error) {
        if (attempt.aborted && !(attempt.reason instanceof BodyTooLargeSignal)) throw error;
      }
      return { status: res.status, statusText: res.statusText, headers: res.headers, body: undefined };
    }
    // A HEAD response declares the length of the body a GET would get, and carries none.
    if (input.method === 'HEAD') {
      await res.discard(0, race);
      return { status: res.status, statusText: res.statusText, headers: res.headers, body: EMPTY_BODY };
    }
    // A declared length over the cap fails before reading (only when it counts decoded bytes).
    const lengthHeader = res.headers.get('content-length');
    const declared = lengthHeader === null ? NaN : Number(lengthHeader);
    if (!res.headers.has('content-encoding') && Number.isFinite(declared) && declared > input.maxBodyBytes) {
      abort(new BodyTooLargeSignal(input.maxBodyBytes));
      throw new BodyTooLargeSignal(input.maxBodyBytes);
    }
    let bytes: Uint8Array;
    try {
      bytes = await res.read(input.maxBodyBytes, race);
    } catch (error) {
      if (error instanceof BodyTooLargeSignal) abort(error);
      throw error;
    }
    return { status: res.status, statusText: res.statusText, headers: res.headers, body: bytes };
  } catch (error) {
    // Report why the attempt was aborted rather than the transport's generic AbortError.
    const reason: unknown = attempt.aborted ? attempt.reason : undefined;
    if (reason instanceof AttemptTimeout || reason instanceof BodyTooLargeSignal) throw reason;
    throw error;
  } finally {
    exchangesInFlight--;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function classifyFailure(
  error: unknown,
  ctx: {
    fail: (o: Omit<ConstructorParameters<typeof HttpError>[0], 'scope' | 'url' | 'method'>) => HttpError;
    redact: (s: string) => string;
    timeoutMs: number;
    maxBodyBytes: number;
  },
): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof AttemptTimeout)
    return ctx.fail({
      code: 'HTTP_TIMEOUT',
      retryable: true,
      detail: `no complete response within ${ctx.timeoutMs} ms`,
    });
  if (error instanceof BodyTooLargeSignal)
    return ctx.fail({
      code: 'HTTP_BODY_TOO_LARGE',
      detail: `response body exceeds ${ctx.maxBodyBytes} bytes`,
    });
  // fetch reports transport failures as `TypeError: fetch failed`; any other TypeError means the
  // request itself could not be built, which repeating will not fix.
  // A certificate the client does not trust stays untrusted: repeating will not help.
  // undici reports a request it cannot build as UND_ERR_INVALID_ARG.
  const codes = errorCodes(error);
  const retryable =
    !(error instanceof TypeError && error.message !== 'fetch failed') &&
    !codes.includes('UND_ERR_INVALID_ARG') &&
    !codes.some(isTlsTrustCode);
  return ctx.fail({
    code: 'HTTP_NETWORK',
    retryable,
    detail: ctx.redact(networkDetail(error)),
    cause: sanitizeCause(error, ctx.redact),
  });
}

function makeResponse(
  exchange: Exchange,
  extra: { url: string; attempts: number; redirected: boolean; invalidJson: (cause: unknown) => HttpError },
): HttpResponse {
  const body = exchange.body ?? new Uint8Array(0);
  let text: string | undefined;
  const decode = (): string => (text ??= decodeUtf8(body));
  return {
    status: exchange.status,
    statusText: exchange.statusText,
    headers: exchange.headers,
    url: extra.url,
    body,
    attempts: extra.attempts,
    redirected: extra.redirected,
    text: decode,
    json<T = unknown>(): T {
      try {
        return JSON.parse(decode()) as T;
      } catch (error) {
        throw extra.invalidJson(error);
      }
    },
  };
}
