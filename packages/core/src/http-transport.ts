/**
 * The wire layer under {@link createHttpClient}: one exchange (request sent, status and headers
 * received, body read under a cap or discarded), over either an injected `fetch` or undici's
 * `dispatch()` API. The client above it owns timeouts, retries, redirects and redaction.
 *
 * Why two transports: undici's `request()` does the same exchange as `fetch` without the WHATWG
 * stream and `Request`/`Response` objects in between, and measured at a third of `fetch`'s time for
 * the same loopback requests (docs/benchmarks.md); a dispatch handler of our own, holding the body
 * chunks until the client reads them, costs about two thirds of `request()` again (18–22 ms of CPU
 * against 28–36 ms per 500 loopback requests). `fetch` stays for injected transports (tests, mocks,
 * non-Node runtimes) and for a global `fetch` some other code has replaced (msw, a test stub).
 *
 * @packageDocumentation
 */
import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import { BodyTooLargeSignal, readBodyCappedWith } from './http-body.js';
import type { HttpTlsOptions, TlsMaterial } from './http.js';
import type { FetchLike } from './plugin.js';

/** Races a promise against whatever aborts the current attempt. */
export type Race = <T>(promise: Promise<T>) => Promise<T>;

/** One request as the transport sends it. */
export interface WireRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: RequestHeaders;
  readonly body: string | Uint8Array | URLSearchParams | undefined;
  readonly signal: AttemptSignal;
  /**
   * The cap the client will read the body under, when it will read it (not for a HEAD or a redirect
   * it follows): a transport may start reading at once.
   */
  readonly readCap?: number | undefined;
}

type Listener = () => void;

/**
 * What aborts one attempt: an EventEmitter-style signal (`aborted`, `reason`, an `'abort'` event)
 * that the dispatch handler and the transport thread listen to. An `AbortController` (a DOM
 * `EventTarget`) per attempt cost more than the rest of the attempt's set-up; a `fetch` gets a real
 * `AbortSignal` following this one. Internal; exported for tests.
 */
export class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: Listener[] = [];

  on(event: string, listener: Listener): this {
    if (event === 'abort' && !this.aborted) this.#listeners.push(listener);
    return this;
  }

  /** Same as {@link on}: `'abort'` is emitted at most once. */
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  removeListener(event: string, listener: Listener): this {
    const at = event === 'abort' ? this.#listeners.indexOf(listener) : -1;
    if (at >= 0) this.#listeners.splice(at, 1);
    return this;
  }

  off(event: string, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** Aborts once, with `reason`; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }

  /** A DOM `AbortSignal` that aborts with this one (for a `fetch`). */
  toAbortSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.reason);
    else this.on('abort', () => controller.abort(this.reason));
    return controller.signal;
  }
}

/** One response: status and headers received, body not read yet. */
export interface WireResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** Reads the whole body, decoded (decompressed), failing with {@link BodyTooLargeSignal} past `cap` bytes. */
  read(cap: number, race: Race): Promise<Uint8Array>;
  /**
   * Throws the body away: up to `limit` bytes are read so that the connection can be reused, a longer
   * body is dropped with its connection.
   */
  discard(limit: number, race: Race): Promise<void>;
}

/** Sends one request. */
export type Transport = (req: WireRequest) => Promise<WireResponse>;

const EMPTY = new Uint8Array(0);

/** A transport over a WHATWG `fetch` (injected, or a replaced global one). */
export function fetchTransport(fetch: FetchLike): Transport {
  return async (req) => {
    const res = await fetch(req.url.href, {
      method: req.method,
      headers: req.headers.toHeaders(),
      ...(req.body === undefined ? {} : { body: req.body as NonNullable<RequestInit['body']> }),
      redirect: 'manual',
      signal: req.signal.toAbortSignal(),
    });
    return {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      async read(cap, race) {
        const declared = declaredLength(res.headers);
        if (declared !== undefined) {
          // The length is declared and within the cap: read it whole, without chunk bookkeeping. The
          // transport delivers no more than the declared length; checked anyway.
          const buffer = await race(res.arrayBuffer());
          if (buffer.byteLength > cap) throw new BodyTooLargeSignal(cap);
          return new Uint8Array(buffer);
        }
        return readBodyCappedWith(res.body, cap, race);
      },
      async discard(limit, race) {
        try {
          await readBodyCappedWith(res.body, limit, race);
        } catch (error) {
          if (!(error instanceof BodyTooLargeSignal)) throw error;
        }
      },
    };
  };
}

/** `Content-Length` of an unencoded body, when it is a whole number. */
function declaredLength(headers: Headers): number | undefined {
  if (headers.has('content-encoding')) return undefined;
  const text = headers.get('content-length');
  if (text === null) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The codings `fetch` decodes, as `Accept-Encoding` announces them. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';
/** More codings than this in one `Content-Encoding` is refused (as undici and curl do). */
const MAX_CODINGS = 5;

/**
 * Decoders for a `Content-Encoding` list, applied last coding first. `undefined` when a coding is
 * unknown: the body is then passed on as it came, as `fetch` does.
 */
function decodersFor(contentEncoding: string): Transform[] | undefined {
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return [];
  if (codings.length > MAX_CODINGS) throw new Error(`too many content codings (${codings.length})`);
  const out: Transform[] = [];
  for (const coding of codings.reverse()) {
    // Go and fetch accept a truncated trailer from some servers; be as lenient for gzip.
    const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
    if (coding === 'gzip' || coding === 'x-gzip') out.push(zlib.createGunzip(flush));
    else if (coding === 'deflate') out.push(zlib.createUnzip(flush));
    else if (coding === 'br')
      out.push(
        zlib.createBrotliDecompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        }),
      );
    else return undefined;
  }
  return out;
}

/**
 * Reads a Node stream whole, failing with {@link BodyTooLargeSignal} as soon as more than `cap`
 * bytes arrived. A stream that closes before its end is an error (a connection cut mid-body).
 */
function collect(stream: Readable, cap: number): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (error: unknown, value?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the stream's error through
      if (error !== undefined) reject(error);
      else resolve(value ?? EMPTY);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > cap) {
        stream.destroy();
        finish(new BodyTooLargeSignal(cap));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish(
        undefined,
        chunks.length === 1 ? chunks[0] : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, total),
      );
    const onError = (error: unknown): void => finish(error ?? new Error('response body stream failed'));
    const onClose = (): void => finish(new Error('connection closed before the end of the response body'));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/** A request as undici's `dispatch()` takes it: headers completed and flattened, body encoded. */
export interface PreparedRequest {
  /** `scheme://host[:port]` of the URL. */
  readonly origin: string;
  /** Path and query of the URL. */
  readonly path: string;
  readonly method: string;
  /** `name, value, name, value…`. */
  readonly headers: string[];
  readonly body: string | Uint8Array | undefined;
}

/**
 * Completes a request for undici's `dispatch()` as `fetch` would send it: `Accept-Encoding` for the
 * codings {@link dispatchExchange} decodes, and the `Content-Type` `fetch` gives a string or form body.
 */
export function prepareUndiciRequest(req: WireRequest): PreparedRequest {
  const headers = req.headers;
  if (!headers.has('accept-encoding')) headers.set('accept-encoding', ACCEPT_ENCODING);
  let body: string | Uint8Array | undefined;
  if (req.body instanceof URLSearchParams) {
    body = req.body.toString();
    if (!headers.has('content-type'))
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  } else if (typeof req.body === 'string') {
    body = req.body;
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
  } else {
    body = req.body;
  }
  const url = req.url;
  return {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: req.method,
    headers: headers.flat(),
    body,
  };
}

/** What {@link dispatchExchange} answers: the response as undici reported it, body unread. */
export interface UndiciResponse {
  readonly status: number;
  readonly statusText: string;
  /** undici's record: lower-case names, repeated fields as arrays. */
  readonly rawHeaders: RawHeaders;
  read(this: void, cap: number, race: Race): Promise<Uint8Array>;
  discard(this: void, limit: number, race: Race): Promise<void>;
}

/** Statuses of a redirect (followed by the client unless told not to). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Bytes of a response held before the client asks for its body; past this much, reading pauses. */
const HOLD_BYTES = 64 * 1024;

const asError = (reason: unknown): Error =>
  reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);

function concat(chunks: readonly Buffer[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return EMPTY;
  return Buffer.concat(chunks, total);
}

/**
 * One exchange as an undici dispatch handler (undici's `DispatchHandler` API): the response head
 * resolves {@link DispatchExchange.head}; body chunks are held (up to the cap the client will read
 * under, or {@link HOLD_BYTES}, then reading pauses) until the client reads or throws the body away.
 * undici's `request()` does the same through a `Readable` per response and a handler of its own,
 * about a third of the CPU of a loopback exchange.
 */
class DispatchExchange implements Dispatcher.DispatchHandler {
  readonly head: Promise<UndiciResponse>;
  #resolveHead!: (res: UndiciResponse) => void;
  #rejectHead!: (error: unknown) => void;
  #started = false;
  #controller: Dispatcher.DispatchController | undefined;
  readonly #signal: AttemptSignal;
  readonly #hold: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #ended = false;
  #failure: Error | undefined;
  /** Set once the client reads or throws the body away: where chunks, the end and a failure go. */
  #sink: ((chunk: Buffer) => void) | undefined;
  #onEnd: (() => void) | undefined;
  #onFailure: ((error: Error) => void) | undefined;

  constructor(signal: AttemptSignal, hold: number) {
    this.#signal = signal;
    this.#hold = hold;
    this.head = new Promise<UndiciResponse>((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    signal.on('abort', this.#abortNow);
  }

  readonly #abortNow = (): void => {
    this.#controller?.abort(asError(this.#signal.reason));
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici retries the request on a fresh connection.
    this.#controller = controller;
    if (this.#signal.aborted) controller.abort(asError(this.#signal.reason));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: RawHeaders,
    statusMessage?: string,
  ): void {
    // 1xx informational heads are not the response (undici's request() skips them too).
    if (status < 200 || this.#started) return;
    this.#started = true;
    this.#resolveHead({
      status,
      statusText: statusMessage ?? '',
      rawHeaders: headers,
      read: (cap, race) => race(this.#read(status, headers, cap)),
      discard: (limit, race) => race(this.#discard(limit)),
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#sink !== undefined) {
      this.#sink(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.#hold) controller.pause();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#signal.removeListener('abort', this.#abortNow);
    this.#onEnd?.();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#signal.removeListener('abort', this.#abortNow);
    if (!this.#started) {
      this.#rejectHead(error);
      return;
    }
    this.#failure = error;
    this.#onFailure?.(error);
  }

  /** Stops the exchange (its connection is dropped). */
  #stop(reason: Error): void {
    this.#sink = () => {};
    this.#controller?.abort(reason);
  }

  #read(status: number, headers: RawHeaders, cap: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      const coding = status === 204 || status === 304 ? undefined : headers['content-encoding'];
      const encoding = coding === undefined ? null : Array.isArray(coding) ? coding.join(', ') : coding;
      let decoders: Transform[] | undefined = [];
      try {
        if (encoding !== null) decoders = decodersFor(encoding);
      } catch (error) {
        const failure = asError(error);
        this.#stop(failure);
        reject(failure);
        return;
      }
      const held = this.#chunks;
      this.#chunks = [];
      if (decoders === undefined || decoders.length === 0) {
        // As it came: count the bytes against the cap as they arrive.
        let total = this.#bytes;
        const tooLarge = (): void => {
          const signal = new BodyTooLargeSignal(cap);
          this.#stop(signal);
          reject(signal);
        };
        if (total > cap) {
          tooLarge();
          return;
        }
        if (this.#ended) {
          resolve(concat(held, total));
          return;
        }
        this.#sink = (chunk) => {
          total += chunk.byteLength;
          if (total > cap) tooLarge();
          else held.push(chunk);
        };
        this.#onEnd = () => resolve(concat(held, total));
        this.#onFailure = reject;
      } else {
        // Decoded as it arrives; the cap counts decoded bytes.
        const input = new PassThrough();
        pipeline([input, ...decoders], swallow);
        collect(decoders[decoders.length - 1]!, cap).then(resolve, (error: unknown) => {
          const failure = asError(error);
          this.#stop(failure);
          reject(failure);
        });
        for (const chunk of held) input.write(chunk);
        if (this.#ended) input.end();
        else {
          this.#sink = (chunk) => void input.write(chunk);
          this.#onEnd = () => input.end();
          this.#onFailure = (error) => input.destroy(error);
        }
      }
      this.#controller?.resume();
    });
  }

  #discard(limit: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let total = this.#bytes;
      this.#chunks = [];
      if (this.#ended || this.#failure !== undefined) {
        resolve();
        return;
      }
      // A longer body is dropped with its connection.
      const drop = (): void => {
        this.#stop(new Error('response body discarded'));
        resolve();
      };
      if (total > limit) {
        drop();
        return;
      }
      this.#sink = (chunk) => {
        total += chunk.byteLength;
        if (total > limit) drop();
      };
      this.#onEnd = resolve;
      this.#onFailure = () => resolve();
      this.#controller?.resume();
    });
  }
}

/**
 * Sends a prepared request through `dispatcher` with undici's `dispatch()` API. The body is held
 * until the client reads it (decoded: gzip, deflate, br) or throws it away; `readCap` is the cap
 * the client will read under, when it will read the body.
 */
export function dispatchExchange(
  dispatcher: Dispatcher,
  req: PreparedRequest,
  signal: AttemptSignal,
  readCap: number | undefined,
): Promise<UndiciResponse> {
  const exchange = new DispatchExchange(signal, readCap ?? HOLD_BYTES);
  dispatcher.dispatch(
    {
      origin: req.origin,
      path: req.path,
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
    },
    exchange,
  );
  return exchange.head;
}

/** A transport over undici's `dispatch()` API through `dispatcher`. */
export function undiciTransport(dispatcher: Dispatcher): Transport {
  return async (req) => {
    const res = await dispatchExchange(
      dispatcher,
      prepareUndiciRequest(req),
      req.signal,
      req.method === 'HEAD' ? undefined : req.readCap,
    );
    return {
      status: res.status,
      statusText: res.statusText,
      headers: responseHeaders(res.rawHeaders),
      read: res.read,
      discard: res.discard,
    };
  };
}

const swallow = (): void => {};

/**
 * The headers of one request, as a `Headers` built from them would hold them (lower-case names,
 * values without surrounding whitespace, sent sorted by name), with only the operations the client
 * uses. Usual headers (lower-case names, plain values) live in a `Map`: building and validating a
 * `Headers` for every request cost more than the rest of the request set-up. Anything else (a
 * mixed-case or invalid name, a value `Headers` would trim or refuse) switches to a real `Headers`,
 * so that the result, and any error, is exactly what `Headers` gives. Internal; exported for tests.
 */
export class RequestHeaders {
  #map: Map<string, string> | undefined = new Map();
  #headers: Headers | undefined;

  constructor(init?: Readonly<Record<string, string>>) {
    if (init === undefined) return;
    const proto: unknown = Object.getPrototypeOf(init);
    if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(init).length > 0) {
      // Not a plain record (a `Headers`, an array, symbol keys): `Headers` reads it its own way.
      this.#map = undefined;
      this.#headers = new Headers(init);
      return;
    }
    const map = this.#map!;
    for (const name of Object.keys(init)) {
      const value = init[name];
      if (typeof value !== 'string' || !LOWER_FIELD_NAME.test(name) || !PLAIN_VALUE.test(value)) {
        this.#map = undefined;
        this.#headers = new Headers(init);
        return;
      }
      map.set(name, value);
    }
  }

  /** Leaves the fast representation for a real `Headers`, which then answers everything. */
  #slow(): Headers {
    if (this.#headers === undefined) {
      this.#headers = new Headers([...this.#map!]);
      this.#map = undefined;
    }
    return this.#headers;
  }

  has(name: string): boolean {
    const map = this.#map;
    if (map !== undefined && LOWER_FIELD_NAME.test(name)) return map.has(name);
    return this.#slow().has(name);
  }

  get(name: string): string | null {
    const map = this.#map;
    if (map !== undefined && LOWER_FIELD_NAME.test(name)) return map.get(name) ?? null;
    return this.#slow().get(name);
  }

  set(name: string, value: string): void {
    const map = this.#map;
    if (map !== undefined && LOWER_FIELD_NAME.test(name) && PLAIN_VALUE.test(value)) map.set(name, value);
    else this.#slow().set(name, value);
  }

  delete(name: string): void {
    const map = this.#map;
    if (map !== undefined && LOWER_FIELD_NAME.test(name)) map.delete(name);
    else this.#slow().delete(name);
  }

  /** Every name, sorted. */
  names(): string[] {
    return this.entries().map(([name]) => name);
  }

  /** Every field in the order `Headers` iterates them: sorted by name. */
  entries(): [string, string][] {
    const map = this.#map;
    if (map === undefined) return [...this.#headers!];
    const out = [...map];
    // Names are distinct lower-case strings: plain code-unit order, as `Headers` sorts them.
    if (out.length > 1) out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return out;
  }

  /** `name, value, name, value…`, as undici's `dispatch()` takes them. */
  flat(): string[] {
    // A plain loop: `Array.prototype.flat` showed in profiles at ~5 µs per request.
    const entries = this.entries();
    const out = new Array<string>(entries.length * 2);
    for (let i = 0; i < entries.length; i++) {
      const [name, value] = entries[i]!;
      out[2 * i] = name;
      out[2 * i + 1] = value;
    }
    return out;
  }

  /** A `Headers` with the same fields (for a `fetch`). */
  toHeaders(): Headers {
    return this.#headers ?? new Headers(this.entries());
  }
}

/** Headers as undici reports them to a handler: lower-case names, repeated ones as arrays. */
export type RawHeaders = Record<string, string | string[] | undefined>;

/** A lower-case field name (a token), as undici reports names. */
const LOWER_FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/** A field name (a token) that `Headers` accepts. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * A field value `Headers.append` stores exactly as given: a byte string with no leading or trailing
 * whitespace (which it strips) and no NUL, CR or LF (which it refuses).
 */
const PLAIN_VALUE = /^(?:[^\0\r\n\t \u0100-\uffff](?:[^\0\r\n\u0100-\uffff]*[^\0\r\n\t \u0100-\uffff])?)?$/;

/**
 * The response headers as a `Headers`. Building a `Headers` (one validated `append` per field) cost
 * more than anything else the client does per response, while most callers read two or three
 * fields: so when every field is one `Headers` would store unchanged (the usual case), a
 * {@link LazyHeaders} answers `get`/`has` from undici's record and builds the real list on any
 * other use. Anything unusual is copied at once, exactly as before, errors included. Internal;
 * exported for tests.
 */
export function responseHeaders(raw: RawHeaders): Headers {
  let plain = true;
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (!LOWER_FIELD_NAME.test(name)) plain = false;
    else if (typeof value === 'string') plain = PLAIN_VALUE.test(value);
    else for (const v of value) if (!PLAIN_VALUE.test(v)) plain = false;
    if (!plain) break;
  }
  if (plain) return new LazyHeaders(raw);
  const out = new Headers();
  copyInto(out, raw);
  return out;
}

function copyInto(out: Headers, raw: RawHeaders): void {
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.append(name, value);
  }
}

/** `Headers` seen as a plain base class (its DOM typing declares the methods as properties). */
const HeadersBase = Headers as unknown as new () => object;
const base = Headers.prototype;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A `Headers` (it is one: `instanceof Headers`, every method) filled from undici's record on first
 * use. Until then `get` and `has` of a valid name read the record: each field there is a lower-case
 * token with a value `append` would keep unchanged ({@link responseHeaders} checked), so the
 * answer is the one the filled list gives. Repeated fields (arrays) and everything else fill the
 * list first and ask `Headers` itself. Internal; exported for tests.
 */
export class LazyHeaders extends HeadersBase implements Headers {
  #raw: RawHeaders | undefined;

  constructor(raw: RawHeaders) {
    super();
    this.#raw = raw;
  }

  #fill(): void {
    const raw = this.#raw;
    if (raw === undefined) return;
    this.#raw = undefined;
    // `append` below finds nothing left to fill and goes straight to `Headers`.
    copyInto(this, raw);
  }

  get(name: string): string | null {
    const raw = this.#raw;
    if (raw !== undefined && typeof name === 'string' && FIELD_NAME.test(name)) {
      const key = name.toLowerCase();
      const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
      if (value === undefined) return null;
      if (typeof value === 'string') return value;
    }
    this.#fill();
    return base.get.call(this, name);
  }

  has(name: string): boolean {
    const raw = this.#raw;
    if (raw !== undefined && typeof name === 'string' && FIELD_NAME.test(name)) {
      const key = name.toLowerCase();
      return Object.hasOwn(raw, key) && raw[key] !== undefined;
    }
    this.#fill();
    return base.has.call(this, name);
  }

  append(name: string, value: string): void {
    this.#fill();
    base.append.call(this, name, value);
  }

  set(name: string, value: string): void {
    this.#fill();
    base.set.call(this, name, value);
  }

  delete(name: string): void {
    this.#fill();
    base.delete.call(this, name);
  }

  getSetCookie(): string[] {
    this.#fill();
    return base.getSetCookie.call(this);
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    base.forEach.call(this, callback, thisArg);
  }

  keys(): ReturnType<Headers['keys']> {
    this.#fill();
    return base.keys.call(this);
  }

  values(): ReturnType<Headers['values']> {
    this.#fill();
    return base.values.call(this);
  }

  entries(): ReturnType<Headers['entries']> {
    this.#fill();
    return base.entries.call(this);
  }

  [Symbol.iterator](): ReturnType<Headers['entries']> {
    return this.entries();
  }

  /** `util.inspect` prints the list, which Node's `Headers` reads from its internal state. */
  [INSPECT](...args: unknown[]): unknown {
    this.#fill();
    const inspect = (base as unknown as Record<symbol, ((...a: unknown[]) => unknown) | undefined>)[INSPECT];
    return inspect ? inspect.apply(this, args) : this;
  }
}

// ---- dispatchers: one connection pool per TLS/proxy configuration

function toList(ca: TlsMaterial | readonly TlsMaterial[]): TlsMaterial[] {
  return Array.isArray(ca) ? [...(ca as readonly TlsMaterial[])] : [ca as TlsMaterial];
}

/**
 * The `connect` options of the undici dispatcher: custom CAs are appended to Node's root store, so
 * public hosts still verify. Internal; exported for tests.
 */
export function tlsConnectOptions(
  tls: HttpTlsOptions | undefined,
  roots: readonly string[],
): Record<string, unknown> {
  const connect: Record<string, unknown> = {};
  if (tls?.ca !== undefined) connect.ca = [...roots, ...toList(tls.ca)];
  if (tls?.cert !== undefined) connect.cert = tls.cert;
  if (tls?.key !== undefined) connect.key = tls.key;
  if (tls?.insecureSkipVerify) connect.rejectUnauthorized = false;
  return connect;
}

/** Proxies named by the environment, read the way Go's `http.ProxyFromEnvironment` reads them. */
export interface EnvProxy {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy: string;
}

/**
 * What a dispatcher is built from: a client's TLS and proxy settings. Plain data, so that the
 * transport thread (`http-thread.ts`) can build the same dispatcher.
 */
export interface DispatcherConfig {
  readonly tls?: HttpTlsOptions | undefined;
  readonly proxy?: string | undefined;
  readonly envProxy?: EnvProxy | undefined;
}

/** One undici Agent for every client without TLS or proxy settings, as `fetch` shares its global one. */
let sharedAgent: Dispatcher | undefined;

/** Whether a configuration needs a dispatcher of its own (else the shared Agent serves it). */
export function isPlainConfig(config: DispatcherConfig): boolean {
  return config.tls === undefined && config.proxy === undefined && config.envProxy === undefined;
}

/**
 * Loads undici (on first use) and builds the dispatcher for `config`: a client with custom TLS or
 * a proxy gets one dispatcher (one connection pool) of its own, the others share one Agent.
 */
export async function createDispatcher(config: DispatcherConfig): Promise<Dispatcher> {
  const undici = await import('undici');
  if (isPlainConfig(config)) return (sharedAgent ??= new undici.Agent());
  const { rootCertificates } = await import('node:tls');
  const connect = tlsConnectOptions(config.tls, rootCertificates);
  const { proxy, envProxy } = config;
  const dispatcher = proxy
    ? new undici.ProxyAgent({ uri: proxy, requestTls: connect, proxyTls: connect })
    : envProxy
      ? new undici.EnvHttpProxyAgent({ ...envProxy, connect, requestTls: connect, proxyTls: connect })
      : new undici.Agent({ connect });
  return dispatcher;
}
