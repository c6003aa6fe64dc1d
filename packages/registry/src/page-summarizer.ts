/**
 * The tag-page summary thread: a helper thread reads each lone tag-list page's bytes with a small
 * WebAssembly module (`tag-page.wat`) and answers the tag count, the Adler-32 revision of the kept
 * tags, and where each kept tag sits in the page, in Flux's (descending byte) order: read last
 * first when the page lists its tags in byte order (distribution), sorted by the module when it
 * does not (ECR). The calling thread then cuts the tag strings from the page's text
 * (`String.prototype.slice`) instead of running `JSON.parse`, the exclusion filter, the order check
 * or sort, and the revision pass. On a scan of many repositories that was most of the calling
 * thread's work: `JSON.parse` interns every string of up to 10 characters it makes (most version
 * tags), which costs far more than cutting them.
 *
 * No message passes per page. The two threads share one buffer (`tag-page-protocol.ts`) of
 * {@link SLOTS} slots: the calling thread copies a page into a free slot, marks it submitted and
 * wakes the helper (`Atomics.notify`); the helper answers the oldest submitted slot in place and
 * marks it answered; the calling thread, which went on with other pages meanwhile, learns of the
 * answer through `Atomics.waitAsync` and frees the slot. A page that finds no free slot or does
 * not fit, and one not answered within {@link ANSWER_WAIT_MS}, is parsed on the calling thread,
 * as without the helper.
 *
 * When: the helper starts once this thread has scanned {@link START_AFTER_PAGES} pages (a single
 * scan does not pay for a thread), on a machine with at least 2 cores, and never with
 * `TIDEWATCH_TAG_THREAD=off` (`on` starts it at once, whatever the cores). It is `unref()`ed:
 * it never keeps a process alive.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startPackageWorker } from '@tidewatch/core';
import type wabtInit from 'wabt';
import {
  BODY_BYTES,
  CONTROL_CELLS,
  Cell,
  Control,
  DATA_OFFSET,
  MAX_PLACES,
  SHARED_BYTES,
  SLOTS,
  SLOT_BASE,
  SLOT_BYTES,
  SLOT_CELLS,
  SUFFIX_BYTES,
  SlotState,
} from './tag-page-protocol.js';

/** Environment variable: `off` never starts the summary thread; `on` starts it at once. */
export const TAG_THREAD_ENV = 'TIDEWATCH_TAG_THREAD';

/** Pages this thread scans before it starts the helper. */
export const START_AFTER_PAGES = 32;
/** How long a page waits for the helper's answer before the calling thread parses it itself. */
export const ANSWER_WAIT_MS = 50;

/**
 * Settings tests change: tests that count the pages the helper answered wait longer than
 * {@link ANSWER_WAIT_MS}, so that a busy machine cannot turn an answer into a parse.
 */
export const summaryTuning = { answerWaitMs: ANSWER_WAIT_MS };

/** What the helper finds in a page (`tag-page.wat`). */
export interface TagPageSummary {
  /** Tags in the page. */
  readonly count: number;
  /** Tags that do not end with the excluded suffix. */
  readonly kept: number;
  /**
   * Whether `adler32` is the revision: the page listed its tags in ascending byte order (as
   * distribution does), or it did not (as ECR may) and the helper sorted the kept tags. False only
   * for a page out of order that keeps more than {@link MAX_PLACES} tags: the caller sorts them.
   */
  readonly ordered: boolean;
  /** Adler-32 of `json.Marshal` of the kept tags in descending byte order (Flux's revision). */
  readonly adler32: number;
  /**
   * The kept tags' places in the page, in Flux's (descending byte) order: for each, the offsets of
   * its first byte and of its closing quote. Absent when more than {@link MAX_PLACES} tags are kept.
   */
  readonly places?: Int32Array;
}

/** Counters for tests and benchmarks. */
export const summaryStats = { threadsStarted: 0, submitted: 0, answered: 0, inline: 0 };

/** The helper and its shared buffer. */
class SummaryThread {
  readonly #control: Int32Array;
  readonly #data: Uint8Array;
  readonly #shared: SharedArrayBuffer;
  readonly #worker: Worker;
  /** Slots free for a new page. */
  readonly #free: number[] = [];
  /** Slots given up on (not answered in time): free again once the helper answers them. */
  readonly #abandoned = new Set<number>();
  #sequence = 0;
  #failed = false;

  constructor(module: WebAssembly.Module) {
    const shared = new SharedArrayBuffer(SHARED_BYTES);
    this.#shared = shared;
    this.#control = new Int32Array(shared, 0, CONTROL_CELLS);
    this.#data = new Uint8Array(shared, DATA_OFFSET);
    for (let i = SLOTS - 1; i >= 0; i--) this.#free.push(i);
    this.#worker = spawnWorker(shared, module);
    this.#worker.unref();
    // A helper that fails to load or dies is not used again; pages are parsed here instead.
    this.#worker.on('error', () => (this.#failed = true));
    this.#worker.on('exit', () => (this.#failed = true));
    summaryStats.threadsStarted++;
  }

  /** Test hook: ends the helper thread (it is not marked failed until it has exited). */
  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  /** Whether the helper takes requests. */
  get ready(): boolean {
    return !this.#failed && Atomics.load(this.#control, Control.Ready) === 1;
  }

  /**
   * Hands a page to the helper. Returns its slot, or -1 when the page does not fit or no slot is
   * free (the caller then parses it).
   */
  submit(body: Uint8Array, suffix: Uint8Array | undefined): number {
    const suffixLength = suffix?.length ?? 0;
    if (body.length > BODY_BYTES || suffixLength > SUFFIX_BYTES) return -1;
    if (this.#free.length === 0) this.#reclaim();
    const slot = this.#free.pop();
    if (slot === undefined) return -1;
    const start = slot * SLOT_BYTES;
    if (suffix) this.#data.set(suffix, start);
    this.#data.set(body, start + SUFFIX_BYTES);
    const control = this.#control;
    const base = SLOT_BASE + slot * SLOT_CELLS;
    control[base + Cell.Length] = body.length;
    control[base + Cell.SuffixLength] = suffixLength;
    control[base + Cell.Sequence] = this.#sequence = (this.#sequence + 1) | 0;
    Atomics.store(control, base + Cell.State, SlotState.Submitted);
    // Bumping the cell the helper waits on makes a helper about to wait look again; one that
    // sleeps is woken (a system call, so only when it says it sleeps).
    Atomics.add(control, Control.Wake, 1);
    if (Atomics.load(control, Control.Sleeping) === 1) Atomics.notify(control, Control.Wake, 1);
    summaryStats.submitted++;
    return slot;
  }

  /**
   * The helper's answer for `slot`: the summary, `null` when the page is not in the plain form,
   * or `undefined` when no answer came in time (the slot is then freed once the helper answers).
   */
  async answer(slot: number): Promise<TagPageSummary | null | undefined> {
    const control = this.#control;
    const state = SLOT_BASE + slot * SLOT_CELLS + Cell.State;
    if (Atomics.load(control, state) !== SlotState.Answered) {
      const waiting = Atomics.waitAsync(control, state, SlotState.Submitted, summaryTuning.answerWaitMs);
      if (waiting.async) await waiting.value;
      if (Atomics.load(control, state) !== SlotState.Answered) {
        this.#abandoned.add(slot);
        return undefined;
      }
    }
    return this.#take(slot);
  }

  #take(slot: number): TagPageSummary | null {
    const control = this.#control;
    const base = SLOT_BASE + slot * SLOT_CELLS;
    const found = control[base + Cell.Found];
    let summary: TagPageSummary | null = null;
    if (found === 1 || found === 2 || found === 3) {
      const kept = control[base + Cell.Kept]!;
      // Places come only in Flux's order: found 2 (out of order, not sorted) has more than
      // MAX_PLACES kept tags, so none were written.
      const places =
        found !== 2 && kept <= MAX_PLACES
          ? new Int32Array(
              this.#shared,
              DATA_OFFSET + slot * SLOT_BYTES + SUFFIX_BYTES + BODY_BYTES,
              kept * 2,
            ).slice()
          : undefined;
      summary = {
        count: control[base + Cell.Count]!,
        kept,
        ordered: found !== 2,
        adler32: control[base + Cell.Adler]! >>> 0,
        ...(places ? { places } : {}),
      };
    }
    Atomics.store(control, base + Cell.State, SlotState.Free);
    this.#free.push(slot);
    summaryStats.answered++;
    return summary;
  }

  /** Frees abandoned slots the helper has answered since. */
  #reclaim(): void {
    for (const slot of this.#abandoned) {
      const state = SLOT_BASE + slot * SLOT_CELLS + Cell.State;
      if (Atomics.load(this.#control, state) !== SlotState.Answered) continue;
      this.#abandoned.delete(slot);
      Atomics.store(this.#control, state, SlotState.Free);
      this.#free.push(slot);
    }
  }
}

/** The helper: `tag-page-worker` beside this module, built or (from the sources) through tsx. */
function spawnWorker(shared: SharedArrayBuffer, module: WebAssembly.Module): Worker {
  return startPackageWorker(import.meta.url, 'tag-page-worker', { workerData: { shared, module } });
}

/**
 * The compiled `tag-page.wat`: `tag-page.wasm` beside this module (the build writes it there), or,
 * when running from the sources, the text assembled with wabt (a development dependency).
 */
async function loadModule(): Promise<WebAssembly.Module> {
  const wasm = new URL('./tag-page.wasm', import.meta.url);
  if (existsSync(fileURLToPath(wasm))) return WebAssembly.compile(await readFile(wasm));
  // A specifier the bundler does not follow: wabt is not part of the published package.
  const wabtName = 'wabt';
  const { default: init } = (await import(wabtName)) as { default: typeof wabtInit };
  const wabt = await init();
  const text = await readFile(new URL('./tag-page.wat', import.meta.url), 'utf8');
  const parsed = wabt.parseWat('tag-page.wat', text);
  try {
    return await WebAssembly.compile(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

/** The helper once started; `null` after it could not be (no WebAssembly, say). */
let thread: SummaryThread | null | undefined;
let starting = false;
let pagesSeen = 0;
let cores: number | undefined;

/** Test hook: forget the helper and the page count (a started helper runs on until exit). */
export function resetSummaryThreadForTests(options: { cores?: number } = {}): void {
  thread = undefined;
  starting = false;
  pagesSeen = 0;
  cores = options.cores;
}

/**
 * Test hook: starts a helper now, whatever the page count and cores, and resolves once it takes
 * requests (false when it could not start within 20 s).
 */
export async function startSummaryThreadForTests(): Promise<boolean> {
  resetSummaryThreadForTests();
  startThread();
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (thread === null) return false;
    if (thread?.ready) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

/**
 * Test hook: ends the running helper and resolves once it has exited. Until then it still counts
 * as ready, so pages handed over meanwhile are never answered.
 */
export function terminateSummaryThreadForTests(): Promise<number> {
  if (!thread) return Promise.resolve(0);
  return thread.terminate();
}

/** Starts the helper: compiles the module, then spawns the thread. */
function startThread(): void {
  starting = true;
  loadModule().then(
    (module) => {
      if (!starting) return; // reset meanwhile (tests)
      try {
        thread = new SummaryThread(module);
      } catch {
        thread = null;
      }
    },
    () => {
      if (starting) thread = null;
    },
  );
}

/**
 * Whether the summary thread may be used, from {@link TAG_THREAD_ENV}: `'off'`, `'on'` (started
 * on the first page, whatever the cores), or `'auto'` (anything else). Read once per scan call.
 */
export function tagThreadMode(): 'auto' | 'on' | 'off' {
  const mode = process.env[TAG_THREAD_ENV];
  return mode === 'off' || mode === 'on' ? mode : 'auto';
}

/**
 * The helper, when one is running and ready; starts it once enough pages have been seen. Returns
 * `undefined` while it is starting, or not worth it.
 */
function summaryThread(mode: 'auto' | 'on'): SummaryThread | undefined {
  if (thread !== undefined) return thread?.ready ? thread : undefined;
  if (starting) return undefined;
  cores ??= availableParallelism();
  if (mode !== 'on' && (cores < 2 || ++pagesSeen < START_AFTER_PAGES)) return undefined;
  startThread();
  return undefined;
}

/** A page handed to the helper, whose answer the caller collects. */
export interface PendingSummary {
  /**
   * The helper's summary; `undefined` when the page is not in the plain form, or the helper did
   * not answer in time. The caller then parses the page itself.
   */
  collect(): Promise<TagPageSummary | undefined>;
}

/**
 * Starts summarising `body` (a tag-list page) on the helper thread, or answers `undefined` when
 * the helper is not running (or the page does not fit). `suffix`: the one excluded suffix, or
 * `undefined` to keep every tag. `mode`: {@link tagThreadMode}, when not `'off'`. The caller may
 * change `body` once this returns: it was copied.
 */
export function summarizeTagPageSoon(
  body: Uint8Array,
  suffix: Uint8Array | undefined,
  mode: 'auto' | 'on' = 'auto',
): PendingSummary | undefined {
  const helper = summaryThread(mode);
  if (helper === undefined) return undefined;
  const slot = helper.submit(body, suffix);
  if (slot === -1) {
    summaryStats.inline++;
    return undefined;
  }
  return {
    async collect() {
      const answer = await helper.answer(slot);
      if (answer === undefined) summaryStats.inline++;
      return answer ?? undefined;
    },
  };
}
