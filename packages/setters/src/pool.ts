/**
 * A small pool of worker threads that run the setter pass (`rewrite.ts`) on file texts, so that
 * `updateFiles` parses on several cores while its main thread walks, reads and writes.
 *
 * - The workers get plain data only: the validated policy table once per session, then batches of
 *   `{ file, text }`; they send back each file's output (when it changed), changes and warnings.
 * - A file a worker fails on (or every file of a worker that dies) comes back as "run it yourself":
 *   the caller then runs it on the main thread, so the outcome is always the single-thread one.
 * - The workers also replace files atomically when sent `write` batches (`write.ts`; setters README
 *   decision 22). The writes of a worker that ends unanswered are handed back once it has exited,
 *   and the caller finds out what became of each (`recoverWrite`).
 * - The pool is shared by the calls of one process and kept between calls: `updateFiles` starts it
 *   with {@link warmPool} at the end of a run that could have used it, so that the next run finds warm
 *   threads. While no session is open the workers are `unref`'d, so they never keep a process alive,
 *   and they are terminated after {@link IDLE_MS} without work.
 * - The worker file is `worker.js` beside the running module (the build has it as a second entry
 *   point). When the package runs from its TypeScript sources (under the test runner), `worker.ts`
 *   is loaded through tsx's loader instead.
 */
import type { Worker } from 'node:worker_threads';
import { startPackageWorker } from '@tidewatch/core';
import type { FileAnalysis } from './rewrite.js';
import type { PolicyImage, SetterChange, SetterWarning } from './types.js';
import type { ReadStamp, WriteFailure } from './write.js';

/**
 * Workers are terminated after this long without an open session, in ms: long enough to outlive the
 * interval of a periodic run, since the point of keeping them is that they are warm.
 */
export const IDLE_MS = 10 * 60_000;
/** A batch is sent to a worker once it holds this many bytes of text (and at every yield). */
const BATCH_BYTES = 32 * 1024;

/** Main thread → worker. */
export type PoolRequest =
  | { readonly type: 'open'; readonly session: number; readonly table: [string, PolicyImage][] }
  | {
      readonly type: 'warm';
      readonly table: [string, PolicyImage][];
      readonly texts: readonly string[];
    }
  | { readonly type: 'close'; readonly session: number }
  | {
      readonly type: 'files';
      readonly session: number;
      readonly files: readonly { readonly id: number; readonly file: string; readonly text: string }[];
    }
  | { readonly type: 'write'; readonly writes: readonly WriteJob[] };

/** One atomic file replacement for a worker (`writeAtomicSync` in `write.ts`). */
export interface WriteJob {
  readonly id: number;
  readonly path: string;
  /** The temporary file, beside `path`. */
  readonly tmp: string;
  readonly data: string;
  readonly stamp: ReadStamp;
}

/** One file's outcome from a worker: `failed` means "run it on the main thread". */
export interface PoolResult {
  readonly id: number;
  readonly failed?: true;
  /** The new text, only when it differs from the text sent. */
  readonly output?: string;
  readonly changes?: readonly SetterChange[];
  readonly warnings?: readonly SetterWarning[];
  /** The analysis of the text sent, when the worker parsed it. */
  readonly analysis?: FileAnalysis;
  /** The analysis of the output, when it could be derived. */
  readonly next?: FileAnalysis;
}

/** Worker → main thread: `ready` once it has loaded, then one `results` per batch. */
export type PoolReply =
  | { readonly type: 'ready' }
  | { readonly type: 'results'; readonly results: readonly PoolResult[] }
  | {
      readonly type: 'written';
      readonly results: readonly { readonly id: number; readonly failure?: WriteFailure }[];
    };

/**
 * What a session hands back for one write: `{}` when the file was replaced, `{ failure }` when it
 * was not, `undefined` when the worker ended before it answered (the caller must find out what
 * happened: `recoverWrite` in `write.ts`).
 */
export type WriteOutcome = { readonly failure?: WriteFailure } | undefined;

/** What a session hands back for one file: `undefined` when the caller must run it itself. */
export interface PoolOutcome {
  readonly output: string;
  readonly changes: readonly SetterChange[];
  readonly warnings: readonly SetterWarning[];
  /** The analysis of the input, when it was parsed. */
  readonly analysis?: FileAnalysis | undefined;
  /** The analysis of the output, when it could be derived. */
  readonly next?: FileAnalysis | undefined;
}

interface Slot {
  readonly worker: Worker;
  readonly waiting: Map<number, { readonly text: string; readonly done: (r?: PoolOutcome) => void }>;
  /** Writes sent and not yet answered. */
  readonly writes: Map<number, { readonly bytes: number; readonly done: (r: WriteOutcome) => void }>;
  /** Bytes sent and not yet answered: new batches go to the least loaded worker. */
  load: number;
  ready: boolean;
  dead: boolean;
}

/** The worker: `worker` beside this module, built or (from the sources) through tsx's loader. */
function spawnWorker(): Worker {
  return startPackageWorker(import.meta.url, 'worker');
}

let nextId = 1;

/**
 * Files answered, and files replaced, by a worker thread since the process started (tests check the
 * threads really work).
 */
export const poolStats = { filesOnThreads: 0, writesOnThreads: 0 };

/** The worker threads, shared by every session of the process. */
class Pool {
  readonly slots: Slot[] = [];
  /** Open sessions: their queued files are sent when a worker becomes ready. */
  readonly open = new Set<PoolSession>();
  private idle: NodeJS.Timeout | undefined;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = spawnWorker();
      const slot: Slot = {
        worker,
        waiting: new Map(),
        writes: new Map(),
        load: 0,
        ready: false,
        dead: false,
      };
      worker.on('message', (reply: PoolReply) => {
        if (reply.type === 'ready') {
          slot.ready = true;
          for (const session of this.open) session.flush();
          return;
        }
        if (reply.type === 'written') {
          for (const r of reply.results) {
            const w = slot.writes.get(r.id);
            if (!w) continue;
            slot.writes.delete(r.id);
            slot.load -= w.bytes;
            if (!r.failure) poolStats.writesOnThreads++;
            w.done(r.failure ? { failure: r.failure } : {});
          }
          if (slot.writes.size === 0 && this.open.size === 0) worker.unref();
          return;
        }
        for (const r of reply.results) {
          const w = slot.waiting.get(r.id);
          if (!w) continue;
          slot.waiting.delete(r.id);
          slot.load -= w.text.length;
          if (r.failed) {
            w.done();
            continue;
          }
          poolStats.filesOnThreads++;
          w.done({
            output: r.output ?? w.text,
            changes: r.changes ?? [],
            warnings: r.warnings ?? [],
            analysis: r.analysis,
            next: r.next,
          });
        }
      });
      const fail = (exited: boolean): void => {
        slot.dead = true;
        for (const w of slot.waiting.values()) w.done();
        slot.waiting.clear();
        if (exited) {
          // Only now is no write of this thread under way: the caller may find out what became of them.
          for (const w of slot.writes.values()) w.done(undefined);
          slot.writes.clear();
        }
        if (shared === this) shared = undefined;
        for (const session of this.open) session.flush();
      };
      worker.on('error', () => fail(false));
      worker.on('exit', () => fail(true));
      this.slots.push(slot);
    }
  }

  get alive(): boolean {
    return this.slots.every((s) => !s.dead);
  }

  /** Whether some worker has started and can take files. */
  get ready(): boolean {
    return this.slots.some((s) => s.ready && !s.dead);
  }

  acquire(session: PoolSession): void {
    this.open.add(session);
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    for (const s of this.slots) s.worker.ref();
  }

  release(session: PoolSession | undefined): void {
    if (session) this.open.delete(session);
    if (this.open.size > 0) return;
    // A worker with writes in flight keeps the process alive until they are done (then unref'd).
    for (const s of this.slots) if (s.writes.size === 0) s.worker.unref();
    this.idle = setTimeout(() => this.destroy(), IDLE_MS);
    this.idle.unref();
  }

  /**
   * Terminates the workers. Writes a worker had not answered are handed back once it has exited
   * (`fail`), so that the caller finds out what became of them with no thread still writing.
   */
  destroy(): void {
    if (shared === this) shared = undefined;
    if (this.idle) clearTimeout(this.idle);
    for (const s of this.slots) void s.worker.terminate();
  }
}

let shared: Pool | undefined;
let nextSession = 1;

/** Plain copies: the user's objects may carry getters or prototypes a thread cannot receive. */
function plainTable(table: ReadonlyMap<string, PolicyImage>): [string, PolicyImage][] {
  return [...table].map(([k, v]) => [
    k,
    { image: v.image, tag: v.tag, ...(v.digest === undefined ? {} : { digest: v.digest }) },
  ]);
}

/** Whether the shared pool runs with `size` threads (started by an earlier run): a run may use it. */
export function poolRunning(size: number): boolean {
  return shared?.alive === true && shared.slots.length === size;
}

/**
 * Starts the shared pool of `size` threads (unless it runs already) and has each thread run the
 * setter pass over a share of `texts`, results dropped: a new thread runs several times slower until
 * its JIT has seen a few hundred files, so that warm-up happens here, between runs, not in the next
 * run. The threads are `unref`'d throughout: a process that has nothing else to do exits at once.
 */
export function warmPool(
  table: ReadonlyMap<string, PolicyImage>,
  size: number,
  texts: readonly string[],
): void {
  if (shared?.alive && shared.slots.length === size) return;
  if (shared?.open.size) return; // another run is using it
  shared?.destroy();
  const pool = (shared = new Pool(size));
  const plain = plainTable(table);
  pool.slots.forEach((s, i) => {
    const share = texts.filter((_, k) => k % size === i);
    s.worker.postMessage({ type: 'warm', table: plain, texts: share } satisfies PoolRequest);
  });
  pool.release(undefined);
}

/**
 * One `updateFiles` run's use of the pool: `apply` queues a file, `flush` sends the queued files,
 * `close` ends the session (with `abandon`, in-flight work is dropped and the workers terminated).
 */
export class PoolSession {
  private readonly pool: Pool;
  private readonly id = nextSession++;
  private queue: { id: number; file: string; text: string; done: (r?: PoolOutcome) => void }[] = [];
  private queued = 0;
  private writeQueue: { job: WriteJob; done: (r: WriteOutcome) => void }[] = [];
  private flushScheduled = false;
  private closed = false;
  private own = false;

  constructor(table: ReadonlyMap<string, PolicyImage>, size: number) {
    if (shared?.alive && shared.slots.length === size) {
      this.pool = shared;
    } else if (shared?.alive && shared.open.size > 0) {
      // Another run uses the shared pool with another size: this run gets threads of its own.
      this.pool = new Pool(size);
      this.own = true;
    } else {
      shared?.destroy();
      this.pool = shared = new Pool(size);
    }
    this.pool.acquire(this);
    const entries = plainTable(table);
    for (const s of this.pool.slots) {
      s.worker.postMessage({ type: 'open', session: this.id, table: entries } satisfies PoolRequest);
    }
  }

  /** Queues one file; resolves with its result, or `undefined` when the caller must run it itself. */
  apply(file: string, text: string): Promise<PoolOutcome | undefined> {
    return new Promise((done) => {
      if (this.closed) {
        done(undefined);
        return;
      }
      this.queue.push({ id: nextId++, file, text, done });
      this.queued += text.length;
      if (this.queued >= BATCH_BYTES) this.flush();
    });
  }

  /**
   * Queues an atomic replacement of `path` by `data` for a worker (sent at the next `flush`);
   * resolves with its outcome. Writes go to the workers so that the creates and renames, slow on
   * some file systems, never hold up the main thread.
   */
  write(path: string, tmp: string, data: string, stamp: ReadStamp): Promise<WriteOutcome> {
    return new Promise((done) => {
      if (this.closed) {
        done(undefined);
        return;
      }
      this.writeQueue.push({ job: { id: nextId++, path, tmp, data, stamp }, done });
      this.queued += data.length;
      if (this.queued >= BATCH_BYTES) this.flush();
      else if (!this.flushScheduled) {
        // Sent with whatever else this turn of the event loop queues (the results of one batch
        // come back in one message), not held until the run's last result.
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Whether a worker has started: until then the caller may rather run files itself. */
  get ready(): boolean {
    return this.pool.ready;
  }

  /**
   * Sends the queued files and writes, each kind as one batch, to the least loaded ready worker
   * (kept while none is ready).
   */
  flush(): void {
    if (this.queue.length === 0 && this.writeQueue.length === 0) return;
    const slot = this.pick();
    if (!slot && this.pool.slots.some((s) => !s.dead)) return; // sent when a worker is ready
    const queue = this.queue;
    const writes = this.writeQueue;
    this.queue = [];
    this.writeQueue = [];
    this.queued = 0;
    if (!slot) {
      for (const q of queue) q.done(undefined);
      for (const w of writes) w.done(undefined);
      return;
    }
    if (queue.length > 0) {
      for (const q of queue) {
        slot.waiting.set(q.id, { text: q.text, done: q.done });
        slot.load += q.text.length;
      }
      const files = queue.map(({ id, file, text }) => ({ id, file, text }));
      slot.worker.postMessage({ type: 'files', session: this.id, files } satisfies PoolRequest);
    }
    if (writes.length > 0) {
      for (const w of writes) {
        slot.writes.set(w.job.id, { bytes: w.job.data.length, done: w.done });
        slot.load += w.job.data.length;
      }
      slot.worker.postMessage({ type: 'write', writes: writes.map((w) => w.job) } satisfies PoolRequest);
    }
  }

  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.pool.slots) if (s.ready && !s.dead && (!best || s.load < best.load)) best = s;
    return best;
  }

  /**
   * Ends the session. With `abandon`, pending files are answered "run it yourself", writes not yet
   * sent are handed back (`undefined`), and the pool is terminated: the writes its workers had not
   * answered are handed back once they have exited.
   */
  close(abandon = false): void {
    if (this.closed) return;
    this.closed = true;
    if (abandon) {
      for (const q of this.queue) q.done(undefined);
      this.queue = [];
      for (const w of this.writeQueue) w.done(undefined);
      this.writeQueue = [];
      for (const s of this.pool.slots) {
        for (const w of s.waiting.values()) w.done();
        s.waiting.clear();
      }
      this.pool.destroy();
    } else {
      this.flush();
      for (const s of this.pool.slots) {
        if (!s.dead) s.worker.postMessage({ type: 'close', session: this.id } satisfies PoolRequest);
      }
    }
    this.pool.release(this);
    if (this.own) this.pool.destroy();
  }
}
