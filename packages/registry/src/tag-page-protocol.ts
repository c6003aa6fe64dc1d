/**
 * The layout of the buffer the calling thread and the tag-page summary thread share
 * (`page-summarizer.ts` tells the protocol).
 *
 * The buffer starts with a control array of Int32 cells: {@link Control} cells, then
 * {@link SLOT_CELLS} cells per slot. The data area follows: per slot, {@link SUFFIX_BYTES} for the
 * excluded suffix, {@link BODY_BYTES} for the page and {@link PLACES_BYTES} for the kept tags'
 * places in it.
 *
 * @packageDocumentation
 */

/** Pages that can be in the helper's hands at once. */
export const SLOTS = 16;
/** Bytes of the data area that hold the excluded suffix; the body follows. */
export const SUFFIX_BYTES = 256;
/** Longest page handed to the helper: a 1,000-tag page of 128-byte tags is about 130 KB. */
export const BODY_BYTES = 256 * 1024;
/** Kept tags whose places in the page the helper reports (a page with more is parsed). */
export const MAX_PLACES = 4096;
/** Bytes of a slot's places: per kept tag, the offsets of its first byte and closing quote. */
export const PLACES_BYTES = MAX_PLACES * 8;

/** Cells of the control array shared by all slots. */
export const Control = {
  /** Bumped by the calling thread on every request; the helper waits on it. */
  Wake: 0,
  /** 1 once the helper waits for requests. */
  Ready: 1,
  /** 1 while the helper sleeps (or is about to): only then does a request need `Atomics.notify`. */
  Sleeping: 2,
} as const;
/** First cell of slot 0; slot `i` starts at `SLOT_BASE + i * SLOT_CELLS`. */
export const SLOT_BASE = 4;
/** Cells per slot. */
export const SLOT_CELLS = 8;
/** Cells of a slot, relative to its start. */
export const Cell = {
  /** {@link SlotState}. */
  State: 0,
  /** Body length in bytes. */
  Length: 1,
  /** Suffix length in bytes (0: keep every tag). */
  SuffixLength: 2,
  /**
   * 1: the summary cells hold the answer; 3: the same, for a page out of ascending byte order
   * whose kept tags the helper sorted (the places are in Flux's order, the Adler-32 is the
   * revision); 2: the page is in the plain form but out of order, and keeps more tags than
   * {@link MAX_PLACES} (no places, and the Adler-32 is not the revision); 0: the page is not in the
   * plain form.
   */
  Found: 3,
  /** The summary: tag count, kept count, Adler-32 (as an Int32). */
  Count: 4,
  Kept: 5,
  Adler: 6,
  /** Submission order, so that the helper answers the oldest request first. */
  Sequence: 7,
} as const;
/** A slot's state. */
export const SlotState = { Free: 0, Submitted: 1, Answered: 2 } as const;
/** Int32 cells of the control array. */
export const CONTROL_CELLS = SLOT_BASE + SLOTS * SLOT_CELLS;
/** Bytes before the data area. */
export const DATA_OFFSET = CONTROL_CELLS * 4;
/** Bytes of one slot's data: the suffix, the page, the places. */
export const SLOT_BYTES = SUFFIX_BYTES + BODY_BYTES + PLACES_BYTES;
/** Bytes of the whole shared buffer. */
export const SHARED_BYTES = DATA_OFFSET + SLOTS * SLOT_BYTES;

/** Where `tag-page.wat` keeps things in its own memory (6 pages of 64 KiB). */
export const WasmLayout = {
  /** The excluded suffix. */
  Suffix: 0,
  /** The answer: count, kept, Adler-32 (little-endian i32s). */
  Answer: 256,
  /** The page; the memory holds {@link BODY_BYTES} of it. */
  Page: 1024,
  /**
   * The kept tags' places (two i32s each, at most {@link MAX_PLACES}); `sortPlaces` uses as much
   * again after them as its scratch area.
   */
  Places: 1024 + BODY_BYTES,
} as const;
