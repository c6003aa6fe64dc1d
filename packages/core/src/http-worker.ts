/**
 * The transport thread's entry point (`http-thread.ts` tells the protocol): undici's `dispatch()`
 * with the dispatchers the clients' settings ask for, one exchange per `req` message.
 *
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { BodyTooLargeSignal } from './http-body.js';
import type { ThreadReply, ThreadRequest, WireBody } from './http-thread.js';
import { toWireError } from './http-thread.js';
import type { TlsMaterial } from './http.js';
import {
  AttemptSignal,
  REDIRECT_STATUSES,
  createDispatcher,
  dispatchExchange,
  type DispatcherConfig,
  type Race,
  type UndiciResponse,
} from './http-transport.js';

const port = parentPort;
if (port === null) throw new Error('http-worker.ts runs as a worker thread only');

/** Dispatchers by configuration, the most recently used last; the oldest is closed past this many. */
const MAX_DISPATCHERS = 16;

type Built = Awaited<ReturnType<typeof createDispatcher>>;
const dispatchers = new Map<string, Promise<Built>>();

/** A structured clone turns Buffers into Uint8Arrays: give TLS material back its Buffer form. */
function revive(config: DispatcherConfig): DispatcherConfig {
  const tls = config.tls;
  if (tls === undefined) return config;
  const fix = (m: TlsMaterial): TlsMaterial => {
    const bytes: unknown = m;
    return bytes instanceof Uint8Array && !Buffer.isBuffer(bytes)
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : m;
  };
  const ca = tls.ca;
  return {
    ...config,
    tls: {
      ...tls,
      ...(ca === undefined
        ? {}
        : { ca: Array.isArray(ca) ? (ca as readonly TlsMaterial[]).map(fix) : fix(ca as TlsMaterial) }),
      ...(tls.cert === undefined ? {} : { cert: fix(tls.cert) }),
      ...(tls.key === undefined ? {} : { key: fix(tls.key) }),
    },
  };
}

function dispatcherFor(key: string, config: DispatcherConfig | undefined): Promise<Built> {
  let built = dispatchers.get(key);
  if (built !== undefined) {
    // Most recently used last.
    dispatchers.delete(key);
    dispatchers.set(key, built);
    return built;
  }
  built = createDispatcher(config === undefined ? {} : revive(config));
  dispatchers.set(key, built);
  if (dispatchers.size > MAX_DISPATCHERS) {
    const [oldestKey, oldest] = dispatchers.entries().next().value as [string, Promise<Built>];
    dispatchers.delete(oldestKey);
    // Requests under way on it finish first.
    void oldest.then((dispatcher) => dispatcher.close()).catch(() => {});
  }
  return built;
}

interface Live {
  readonly attempt: AttemptSignal;
  readonly race: Race;
  res: UndiciResponse | undefined;
}

/** Requests under way, by id. */
const live = new Map<number, Live>();

/**
 * Replies of this turn of the event loop, sent together at its end (`setImmediate`: after every
 * socket event of the turn), with the bodies they carry. Each message wakes the calling thread, and
 * responses that arrive together are then handled, and their next requests sent, together.
 */
let outbox: ThreadReply[] = [];
let transfers: ArrayBuffer[] = [];

function flush(): void {
  const batch = outbox;
  const moved = transfers;
  outbox = [];
  transfers = [];
  port!.postMessage(batch, moved);
}

function post(reply: ThreadReply): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(reply);
  const body = 'body' in reply ? reply.body : undefined;
  if (body !== undefined) transfers.push(body.buffer as ArrayBuffer);
}

/** The body in an ArrayBuffer of its own, which can be transferred without touching shared memory. */
function owned(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

async function readBody(res: UndiciResponse, cap: number, race: Race): Promise<WireBody> {
  try {
    return { body: owned(await res.read(cap, race)) };
  } catch (error) {
    if (error instanceof BodyTooLargeSignal) return { tooLarge: true };
    return { error: toWireError(error) };
  }
}

async function exchange(m: Extract<ThreadRequest, { t: 'req' }>): Promise<void> {
  const attempt = new AttemptSignal();
  let rejectAborted!: (reason: unknown) => void;
  const aborted = new Promise<never>((_resolve, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(() => {});
  attempt.on('abort', () => rejectAborted(attempt.reason));
  const race: Race = (promise) => Promise.race([promise, aborted]);
  const entry: Live = { attempt, race, res: undefined };
  live.set(m.id, entry);
  try {
    const dispatcher = await race(dispatcherFor(m.key, m.config));
    const res = await race(
      dispatchExchange(dispatcher, m.req, attempt, m.req.method === 'HEAD' ? undefined : m.cap),
    );
    entry.res = res;
    const head = { status: res.status, statusText: res.statusText, headers: res.rawHeaders };
    const h = res.rawHeaders;
    const declared = h['content-encoding'] === undefined ? Number(h['content-length']) : NaN;
    if (m.req.method === 'HEAD') {
      // The client throws a HEAD response's body (there is none) away: do it now.
      await res.discard(0, race);
      live.delete(m.id);
      post({ t: 'head', id: m.id, read: true, ...head, body: new Uint8Array(0) });
      return;
    }
    const eager =
      m.cap !== undefined &&
      !(REDIRECT_STATUSES.has(res.status) && h.location !== undefined) &&
      !(Number.isFinite(declared) && declared > m.cap);
    if (!eager) {
      // The client decides: read, or throw away.
      post({ t: 'head', id: m.id, read: false, ...head });
      return;
    }
    const body = await readBody(res, m.cap, race);
    live.delete(m.id);
    post({ t: 'head', id: m.id, read: true, ...head, ...body });
  } catch (error) {
    live.delete(m.id);
    post({ t: 'error', id: m.id, error: toWireError(error) });
  }
}

async function finish(m: Extract<ThreadRequest, { t: 'read' | 'discard' }>): Promise<void> {
  const entry = live.get(m.id);
  if (entry?.res === undefined) {
    post({ t: 'error', id: m.id, error: { name: 'Error', message: 'no response to read' } });
    return;
  }
  // The entry stays until the body is read or thrown away, so that an abort meanwhile reaches it.
  if (m.t === 'read') {
    const body = await readBody(entry.res, m.cap, entry.race);
    live.delete(m.id);
    post({ t: 'body', id: m.id, ...body });
    return;
  }
  try {
    await entry.res.discard(m.limit, entry.race);
    post({ t: 'body', id: m.id });
  } catch (error) {
    post({ t: 'body', id: m.id, error: toWireError(error) });
  } finally {
    live.delete(m.id);
  }
}

function receive(m: ThreadRequest): void {
  switch (m.t) {
    case 'req':
      void exchange(m);
      return;
    case 'read':
    case 'discard':
      void finish(m);
      return;
    case 'abort': {
      const entry = live.get(m.id);
      live.delete(m.id);
      // A response being read stops with its connection; one not read yet is dropped the same way.
      entry?.attempt.abort(new Error('aborted by the client'));
      return;
    }
  }
}

port.on('message', (batch: readonly ThreadRequest[]) => {
  for (const m of batch) receive(m);
});

// Load undici before saying ready, so that the first request does not wait for it.
await import('undici');
post({ t: 'ready' });
