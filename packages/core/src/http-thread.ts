/**
 * The transport thread: the built-in transport (undici's `dispatch()`) run on a worker thread, so
 * that the sockets, HTTP parsing, decompression and body reading of many requests in flight do not
 * compete with the caller's own work (parsing what comes back) for the main thread.
 *
 * - One thread per process, shared by every client. The main thread keeps everything above the
 *   wire: limits, timeouts, retries, redirects, redaction, logging (`http.ts`). The thread only does
 *   exchanges: request sent, status and headers received, body read (and decoded) under the cap.
 * - A body is read on the thread as soon as the headers are in, unless the client may not want it
 *   (a redirect it will follow, a HEAD, a declared length over the cap), and comes back with the
 *   headers in one message, its bytes transferred, not copied. Otherwise the main thread asks for
 *   the body, or for it to be thrown away, as with the inline transport.
 * - Aborting an attempt (the caller's signal, the per-attempt timeout, the body cap) tells the
 *   thread, which aborts its request and drops the connection.
 * - Errors cross as plain data (name, message, `code`, cause chain) and are rebuilt, so that the
 *   client classifies and redacts them exactly as inline ones.
 * - While requests are in flight the thread keeps the process alive; when none are, it is
 *   `unref`'d, and after {@link IDLE_MS} without requests it is terminated. A thread that exits
 *   fails the requests it held with a retryable network error (the client's retry goes to a new
 *   thread, or inline); one that cannot start at all is not tried again in this process.
 * - The worker file is `http-worker.js` beside the running module (a second entry point of the
 *   build). When the package runs from its TypeScript sources (the test runner), `http-worker.ts`
 *   is loaded through tsx's loader.
 *
 * @packageDocumentation
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { BodyTooLargeSignal } from './http-body.js';
import { startPackageWorker } from './worker-entry.js';
import {
  prepareUndiciRequest,
  responseHeaders,
  type DispatcherConfig,
  type PreparedRequest,
  type RawHeaders,
  type Transport,
  type WireRequest,
  type WireResponse,
} from './http-transport.js';

/**
 * Where the built-in transport runs: `'on'` on the transport thread, `'off'` on the calling
 * thread, `'auto'` on the calling thread on a machine with fewer than {@link AUTO_MIN_CORES}
 * cores, and elsewhere until the process has {@link AUTO_THREAD_AT} exchanges
 * in flight at once, then on the transport thread (once it has started), except for
 * {@link AUTO_INLINE_MS} after a {@link AUTO_WINDOW_MS} window in which the calling thread was
 * busy less than {@link AUTO_MIN_UTILIZATION} of the time while the thread carried its exchanges
 * (the thread was then what the process waited on, and inline exchanges cost less CPU).
 */
export type HttpThreadMode = 'auto' | 'on' | 'off';

/** The environment variable that sets the default {@link HttpThreadMode} of every client. */
export const HTTP_THREAD_ENV = 'TIDEWATCH_HTTP_THREAD';

/**
 * In `'auto'` mode, the transport thread is used only on a machine with at least this many cores
 * (`os.availableParallelism()`). The thread costs about twice the CPU per exchange (~90 µs, and
 * ~40 µs in V8's GC helpers, against ~35–60 µs inline), which pays only when a core is free to
 * absorb it; with two, the second is shared with V8's GC helpers (and often with a server on the
 * same machine), and on the project's 2-vCPU machine the thread was faster at some moments and
 * slower at others (the figures: docs/benchmarks.md, fifth session; core README).
 */
export const AUTO_MIN_CORES = 3;

/** In `'auto'` mode, the transport thread starts once this many exchanges are in flight at once. */
export const AUTO_THREAD_AT = 8;
/** In `'auto'` mode, how long the calling thread is watched while the transport thread is used, in ms. */
export const AUTO_WINDOW_MS = 250;
/**
 * In `'auto'` mode, the share of a window the calling thread must be busy (its event-loop
 * utilization) for the transport thread to stay in use. Measured on 2026-11-30: a registry scan
 * parsing what comes back keeps it at 70–90 % (and gains from the thread); a loop that only sends
 * requests falls to ~35 %, waiting on the thread, and runs 2–3× faster inline.
 */
export const AUTO_MIN_UTILIZATION = 0.5;
/** In `'auto'` mode, how long exchanges stay inline after a window below the utilization, in ms. */
export const AUTO_INLINE_MS = 30_000;

/** The thread is terminated after this long without a request, in ms. */
export const IDLE_MS = 10 * 60_000;

/** An error as it crosses between threads. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly cause?: WireError;
}

/** Main thread → transport thread. */
export type ThreadRequest =
  | {
      readonly t: 'req';
      readonly id: number;
      readonly req: PreparedRequest;
      /** Read the body at once, under this cap, when the client will want it. */
      readonly cap: number | undefined;
      /** The dispatcher: `''` for the shared Agent. */
      readonly key: string;
      readonly config: DispatcherConfig | undefined;
    }
  | { readonly t: 'read'; readonly id: number; readonly cap: number }
  | { readonly t: 'discard'; readonly id: number; readonly limit: number }
  | { readonly t: 'abort'; readonly id: number };

/** A response's status line and headers, as they cross. */
export interface WireHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: RawHeaders;
}

/** What became of a body read (or thrown away) on the thread. */
export interface WireBody {
  /** The body, when it was read. */
  readonly body?: Uint8Array;
  /** Set when the body exceeded the cap. */
  readonly tooLarge?: true;
  readonly error?: WireError;
}

/** Transport thread → main thread. */
export type ThreadReply =
  | { readonly t: 'ready' }
  | ({ readonly t: 'head'; readonly id: number; readonly read: boolean } & WireHead & WireBody)
  | ({ readonly t: 'body'; readonly id: number } & WireBody)
  | { readonly t: 'error'; readonly id: number; readonly error: WireError };

/** Turns an error into plain data (a bounded cause chain). */
export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.cause !== undefined && depth < 6 ? { cause: toWireError(error.cause, depth + 1) } : {}),
  };
}

/** Rebuilds an error from {@link toWireError}'s data: same class for the built-in ones, name, code. */
export function fromWireError(wire: WireError): Error {
  const Ctor = wire.name === 'TypeError' ? TypeError : wire.name === 'RangeError' ? RangeError : Error;
  const error = new Ctor(wire.message, wire.cause ? { cause: fromWireError(wire.cause) } : undefined);
  if (error.name !== wire.name) error.name = wire.name;
  if (wire.code !== undefined) (error as Error & { code: string }).code = wire.code;
  return error;
}

/** The failure of requests held by a thread that exited: a network error, retried by the client. */
class ThreadExited extends Error {
  readonly code = 'ERR_TRANSPORT_THREAD_EXITED';
  constructor() {
    super('the HTTP transport thread exited');
    this.name = 'Error';
  }
}

interface Waiting {
  readonly resolve: (value: ThreadReply) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Since the process started: requests sent to a thread, threads started, times `'auto'` went back
 * inline, and messages sent to and received from a thread (tests check that the thread is used,
 * and how).
 */
export const threadStats = {
  requests: 0,
  threadsStarted: 0,
  autoInline: 0,
  messagesSent: 0,
  messagesReceived: 0,
};

/** The worker: `http-worker` beside this module, built or (from the sources) through tsx. */
function spawnWorker(): Worker {
  return startPackageWorker(import.meta.url, 'http-worker');
}

/** One transport thread and the requests it holds. */
class TransportThread {
  readonly #worker: Worker;
  /** Requests waiting for an answer from the thread, by id. */
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #ready = false;
  #exited = false;
  /** Set when this process ended the thread itself (idle, tests): not a failure to start. */
  #terminating = false;
  #idle: NodeJS.Timeout | undefined;
  /** When the last request was sent (`performance.now()`). */
  #lastUsed = performance.now();
  /** Messages of this turn of the event loop, sent together once it has run its microtasks. */
  #outbox: ThreadRequest[] = [];

  constructor() {
    this.#worker = (spawnOverride ?? spawnWorker)();
    threadStats.threadsStarted++;
    this.#worker.unref();
    this.#worker.on('message', (replies: readonly ThreadReply[]) => {
      threadStats.messagesReceived++;
      for (const reply of replies) {
        if (reply.t === 'ready') {
          this.#ready = true;
          continue;
        }
        const waiting = this.#waiting.get(reply.id);
        if (waiting === undefined) continue;
        this.#settled(reply.id);
        waiting.resolve(reply);
      }
    });
    // An uncaught error in the thread is followed by its exit, which fails what it held.
    this.#worker.on('error', () => {});
    this.#worker.on('exit', () => {
      this.#exited = true;
      if (current === this) current = undefined;
      if (!this.#ready && !this.#terminating) startFailed = true;
      clearTimeout(this.#idle);
      const waiting = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const w of waiting) w.reject(new ThreadExited());
    });
    this.#armIdle();
  }

  get ready(): boolean {
    return this.#ready && !this.#exited;
  }

  /** Ends the thread (tests; idle). Requests it held fail as when it exits. */
  terminate(): Promise<number> {
    this.#terminating = true;
    return this.#worker.terminate();
  }

  /**
   * Ends the thread {@link IDLE_MS} after its last request. One timer per thread: each request only
   * notes its time, and the timer, when it fires, waits again for what is left.
   */
  #armIdle(after = IDLE_MS): void {
    this.#idle = setTimeout(() => {
      const left = this.#lastUsed + IDLE_MS - performance.now();
      // A request may outlast the idle time (a long timeout): wait for it.
      if (this.#waiting.size > 0) this.#armIdle();
      else if (left > 0) this.#armIdle(left);
      else void this.terminate();
    }, after);
    this.#idle.unref();
  }

  #settled(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  /**
   * Queues `message` for the thread. What one turn sends (the next requests of every response the
   * thread's last message brought) goes in one message: each message wakes the thread, and waking a
   * thread costs more CPU than the structured clone of one more request (measured on 2026-11-30 in
   * a 500-repository scan: a third of the messages, 14–40 ms less CPU on the thread's side and
   * 4–35 ms less on the calling thread).
   */
  #post(message: ThreadRequest): void {
    if (this.#outbox.length === 0) process.nextTick(this.#flush);
    this.#outbox.push(message);
  }

  readonly #flush = (): void => {
    const batch = this.#outbox;
    this.#outbox = [];
    if (this.#exited) return;
    threadStats.messagesSent++;
    this.#worker.postMessage(batch);
  };

  /** Sends `message` and waits for the answer to it (rejecting at once if the thread is gone). */
  #ask(id: number, message: ThreadRequest): Promise<ThreadReply> {
    if (this.#exited) return Promise.reject(new ThreadExited());
    return new Promise<ThreadReply>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#post(message);
    });
  }

  /** Abandons request `id`: the thread aborts it and drops its connection. */
  #abort(id: number, reason: unknown): void {
    const waiting = this.#waiting.get(id);
    if (waiting !== undefined) {
      this.#settled(id);
      waiting.reject(reason);
    }
    if (!this.#exited) this.#post({ t: 'abort', id });
  }

  /** A {@link Transport} sending through this thread with the dispatcher of `config`. */
  send(req: WireRequest, key: string, config: DispatcherConfig | undefined): Promise<WireResponse> {
    const id = this.#nextId++;
    const signal = req.signal;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the attempt's own reason
    if (signal.aborted) return Promise.reject(signal.reason);
    threadStats.requests++;
    this.#lastUsed = performance.now();
    // Until the exchange is over, an abort of the attempt is passed on to the thread.
    let open = true;
    const onAbort = (): void => {
      if (open) this.#abort(id, signal.reason);
    };
    const close = (): void => {
      open = false;
      signal.removeListener('abort', onAbort);
    };
    signal.on('abort', onAbort);
    const message: ThreadRequest = {
      t: 'req',
      id,
      req: prepareUndiciRequest(req),
      cap: req.readCap,
      key,
      config,
    };
    return this.#ask(id, message).then(
      (reply) => {
        if (reply.t === 'error') {
          close();
          throw fromWireError(reply.error);
        }
        if (reply.t !== 'head') throw new Error(`unexpected reply ${reply.t} from the HTTP transport thread`);
        // The body came with the headers (or its failure did): nothing more to ask the thread.
        if (reply.read) close();
        return this.#response(id, reply, close);
      },
      (error: unknown) => {
        close();
        throw error;
      },
    );
  }

  #response(
    id: number,
    head: { readonly read: boolean } & WireHead & WireBody,
    close: () => void,
  ): WireResponse {
    const bodyOf = (answer: WireBody, cap: number): Uint8Array => {
      if (answer.tooLarge) throw new BodyTooLargeSignal(cap);
      if (answer.error !== undefined) throw fromWireError(answer.error);
      const body = answer.body ?? new Uint8Array(0);
      if (body.byteLength > cap) throw new BodyTooLargeSignal(cap);
      return body;
    };
    const later = async (
      message: ThreadRequest,
      race: <T>(p: Promise<T>) => Promise<T>,
    ): Promise<WireBody> => {
      try {
        const reply = await race(this.#ask(id, message));
        if (reply.t === 'error') return { error: reply.error };
        if (reply.t !== 'body') throw new Error(`unexpected reply ${reply.t} from the HTTP transport thread`);
        return reply;
      } finally {
        close();
      }
    };
    return {
      status: head.status,
      statusText: head.statusText,
      headers: responseHeaders(head.headers),
      read: async (cap, race) => {
        if (head.read) return bodyOf(head, cap);
        return bodyOf(await later({ t: 'read', id, cap }, race), cap);
      },
      discard: async (limit, race) => {
        if (head.read) return;
        await later({ t: 'discard', id, limit }, race);
      },
    };
  }
}

/** The process's transport thread, while it runs. */
let current: TransportThread | undefined;
/** Set when a thread exited before it was ready: it is not tried again in this process. */
let startFailed = false;

/**
 * The transport thread for a request in `mode`: started when needed. `'auto'` gets it only once it
 * is ready (requests meanwhile go inline); `'on'` gets it at once (messages wait for it to start).
 * Undefined: send inline.
 */
export function transportThread(mode: HttpThreadMode, inFlight: number): TransportThread | undefined {
  if (mode === 'off' || startFailed) return undefined;
  if (mode === 'on') return (current ??= new TransportThread());
  if ((autoCores ??= availableParallelism()) < AUTO_MIN_CORES) return undefined;
  // Exchanges below the threshold, the usual case, read no clock.
  if (current === undefined) {
    if (inFlight >= AUTO_THREAD_AT && autoClock() >= autoInlineUntil) current = new TransportThread();
    return undefined;
  }
  if (!current.ready) return undefined;
  const now = autoClock();
  if (now < autoInlineUntil) return undefined;
  // Watch the calling thread while the transport thread carries the exchanges: a window starts
  // anew after a pause in its use longer than a window.
  if (autoWindow === undefined || now - autoWindow.last > AUTO_WINDOW_MS) {
    autoWindow = { start: now, last: now, mark: autoUtilization.mark() };
  } else {
    autoWindow.last = now;
    if (now - autoWindow.start >= AUTO_WINDOW_MS) {
      const busy = autoUtilization.since(autoWindow.mark);
      autoWindow = undefined;
      if (busy < AUTO_MIN_UTILIZATION) {
        autoInlineUntil = now + AUTO_INLINE_MS;
        threadStats.autoInline++;
        return undefined;
      }
    }
  }
  return current;
}

/** How `'auto'` reads the calling thread's event-loop utilization (replaceable in tests). */
interface UtilizationSource {
  mark(): unknown;
  /** The utilization (0–1) since `mark`. */
  since(mark: unknown): number;
}

const eventLoopUtilization: UtilizationSource = {
  mark: () => performance.eventLoopUtilization(),
  since: (mark) => performance.eventLoopUtilization(mark as EventLoopUtilization).utilization,
};

let autoUtilization: UtilizationSource = eventLoopUtilization;
/** The machine's cores, read once, on the first `'auto'` exchange. */
let autoCores: number | undefined;
let autoClock: () => number = () => performance.now();
/** `'auto'` sends inline until this time (of `autoClock`). */
let autoInlineUntil = 0;
let autoWindow: { start: number; last: number; mark: unknown } | undefined;

/**
 * Tests only: replaces how `'auto'` reads the time, the calling thread's utilization and the
 * machine's cores (undefined: the real ones again), and forgets its window and any inline period.
 */
export function setAutoTuningForTests(
  tuning:
    { readonly now: () => number; readonly utilization: () => number; readonly cores: number } | undefined,
): void {
  autoCores = tuning?.cores;
  autoClock = tuning ? tuning.now : () => performance.now();
  autoUtilization = tuning
    ? { mark: () => undefined, since: () => tuning.utilization() }
    : eventLoopUtilization;
  autoInlineUntil = 0;
  autoWindow = undefined;
}

/** A transport that sends every request through the thread `pick` gives, else through `inline`. */
export function threadedTransport(
  pick: () => TransportThread | undefined,
  inline: Transport,
  config: DispatcherConfig | undefined,
): Transport {
  // The dispatcher's identity on the thread: same settings, same connection pool.
  const key = config === undefined ? '' : dispatcherKey(config);
  return (req) => {
    const thread = pick();
    return thread === undefined ? inline(req) : thread.send(req, key, config);
  };
}

/** A key naming a dispatcher configuration by its content (a Buffer reads as its bytes). */
function dispatcherKey(config: DispatcherConfig): string {
  return JSON.stringify(config);
}

/** A replacement for {@link spawnWorker} (tests: a thread that fails to start). */
let spawnOverride: (() => Worker) | undefined;

/**
 * Tests only: starts later threads with `spawn` (undefined: the real worker again) and forgets that
 * a thread failed to start.
 */
export function setThreadSpawnForTests(spawn: (() => Worker) | undefined): void {
  spawnOverride = spawn;
  startFailed = false;
}

/** Ends the process's transport thread, if any (tests). Requests it held fail as when it exits. */
export async function stopTransportThread(): Promise<void> {
  const thread = current;
  current = undefined;
  if (thread !== undefined) await thread.terminate();
}

/** Whether a transport thread is running and ready (tests). */
export function transportThreadReady(): boolean {
  return current?.ready ?? false;
}
