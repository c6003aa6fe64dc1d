/**
 * The tag-page summary thread's entry point (`page-summarizer.ts` tells the protocol): it waits on
 * the shared control array, summarises each page handed to it, oldest first, with the
 * WebAssembly module `tag-page.wat` it was given, and writes the answer into the page's slot.
 *
 * @packageDocumentation
 */
import { workerData } from 'node:worker_threads';
import {
  CONTROL_CELLS,
  Cell,
  Control,
  DATA_OFFSET,
  MAX_PLACES,
  SLOTS,
  SLOT_BASE,
  SLOT_BYTES,
  SLOT_CELLS,
  SUFFIX_BYTES,
  BODY_BYTES,
  SlotState,
  WasmLayout,
} from './tag-page-protocol.js';

const { shared, module } = workerData as { shared: SharedArrayBuffer; module: WebAssembly.Module };
const control = new Int32Array(shared, 0, CONTROL_CELLS);
const data = new Uint8Array(shared, DATA_OFFSET);
const instance = new WebAssembly.Instance(module);
const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
const answer = new Int32Array((instance.exports.memory as WebAssembly.Memory).buffer, WasmLayout.Answer, 3);
const summarize = instance.exports.summarize as (length: number, suffixLength: number) => number;
const sortPlaces = instance.exports.sortPlaces as (kept: number) => number;

/** The submitted slot with the lowest sequence number, or -1. */
function oldestSubmitted(): number {
  let best = -1;
  let bestSequence = 0;
  for (let i = 0; i < SLOTS; i++) {
    const base = SLOT_BASE + i * SLOT_CELLS;
    if (Atomics.load(control, base + Cell.State) !== SlotState.Submitted) continue;
    const sequence = control[base + Cell.Sequence]!;
    // Sequence numbers wrap around; compare by difference.
    if (best === -1 || ((sequence - bestSequence) | 0) < 0) {
      best = i;
      bestSequence = sequence;
    }
  }
  return best;
}

Atomics.store(control, Control.Ready, 1);
for (;;) {
  let slot = oldestSubmitted();
  if (slot === -1) {
    // Say so before looking again: a request made after this store notifies, and one made before
    // it is seen by the second look (both sides use sequentially consistent atomics).
    Atomics.store(control, Control.Sleeping, 1);
    const wake = Atomics.load(control, Control.Wake);
    slot = oldestSubmitted();
    if (slot === -1) Atomics.wait(control, Control.Wake, wake);
    Atomics.store(control, Control.Sleeping, 0);
    if (slot === -1) continue;
  }
  const base = SLOT_BASE + slot * SLOT_CELLS;
  const start = slot * SLOT_BYTES;
  const suffixLength = control[base + Cell.SuffixLength]!;
  const length = control[base + Cell.Length]!;
  memory.set(data.subarray(start, start + suffixLength), WasmLayout.Suffix);
  memory.set(data.subarray(start + SUFFIX_BYTES, start + SUFFIX_BYTES + length), WasmLayout.Page);
  let found = summarize(length, suffixLength);
  // Out of order (ECR's pages): the kept tags are sorted into Flux's order here, and the revision
  // summed over them, when their places were all written.
  if (found === 2 && answer[1]! <= MAX_PLACES && sortPlaces(answer[1]!) === 1) found = 3;
  if (found !== 0) {
    control[base + Cell.Count] = answer[0]!;
    control[base + Cell.Kept] = answer[1]!;
    control[base + Cell.Adler] = answer[2]!;
  }
  // The places, only when the caller uses them: all of them written, in Flux's order.
  if (found !== 0 && found !== 2 && answer[1]! <= MAX_PLACES) {
    data.set(
      memory.subarray(WasmLayout.Places, WasmLayout.Places + answer[1]! * 8),
      start + SUFFIX_BYTES + BODY_BYTES,
    );
  }
  control[base + Cell.Found] = found;
  Atomics.store(control, base + Cell.State, SlotState.Answered);
  Atomics.notify(control, base + Cell.State);
}
