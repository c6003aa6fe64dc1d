/**
 * Flux's tag ordering and scan revision strings.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** How the scan revision is computed. */
export type RevisionFormat = 'adler32' | 'sha256';

const NON_ASCII = /[^\t-~]/; // anything outside printable ASCII (tags are printable ASCII in practice)

/** Compares by Unicode code points (= UTF-8 byte order), descending. */
function compareCodePointsDesc(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : 1;
    if (y.done) return -1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cy - cx;
  }
}

const ascending = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts tags in place, descending by UTF-8 bytes (Go's `strings.Compare`), as Flux stores them.
 * Returns the same array. `noSurrogates`: the caller knows no tag holds a UTF-16 surrogate (the
 * response text was ASCII), which spares checking each tag of an already sorted list.
 */
export function sortTagsDescending(tags: string[], noSurrogates = false): string[] {
  if (presorted(tags, noSurrogates)) return tags;
  if (tags.length > 64 && packedSort(tags)) return tags;
  if (tags.some((t) => NON_ASCII.test(t))) return tags.sort(compareCodePointsDesc);
  // For ASCII, UTF-16 code units order like bytes.
  return tags.sort((a, b) => ascending(b, a));
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Registries usually list tags already in order (the distribution spec asks for lexical order):
 * a list that is ascending or descending in UTF-16 order is reversed or kept in one pass. UTF-16
 * order equals UTF-8 byte order when no string holds a surrogate, which is checked. Returns false
 * (leaving `tags` untouched) otherwise; an unsorted list usually fails after a few comparisons.
 */
function presorted(tags: string[], noSurrogates: boolean): boolean {
  let ascending = true;
  let descending = true;
  for (let i = 1; i < tags.length; i++) {
    const a = tags[i - 1]!;
    const b = tags[i]!;
    if (a < b) descending = false;
    else if (a > b) ascending = false;
    if (!ascending && !descending) return false;
  }
  if (!noSurrogates) for (let i = 0; i < tags.length; i++) if (SURROGATE.test(tags[i]!)) return false;
  if (!descending) tags.reverse();
  return true;
}

/**
 * A faster sort for lists of printable-ASCII strings (what tags are): each string's first
 * characters (7 bits each) and its index are packed into one exact float64, the keys are sorted
 * natively as numbers, and only runs sharing that prefix are compared as strings. Returns false
 * (leaving `tags` untouched) when a string is not printable ASCII.
 */
function packedSort(tags: string[]): boolean {
  const n = tags.length;
  let idxBits = 1;
  while (2 ** idxBits < n) idxBits++;
  const chars = Math.floor((53 - idxBits) / 7);
  if (chars < 3) return false;
  const scale = 2 ** idxBits;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = tags[i]!;
    let k = 0;
    for (let j = 0; j < chars; j++) {
      const c = j < t.length ? t.charCodeAt(j) : 0;
      if (c > 0x7e || (j < t.length && c < 0x20)) return false;
      k = k * 128 + c;
    }
    keys[i] = k * scale + i;
  }
  keys.sort();
  const sorted: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    sorted[i] = tags[key - Math.floor(key / scale) * scale]!;
  }
  // Runs with the same prefix: order them by the whole string.
  for (let start = 0; start < n;) {
    const prefix = Math.floor(keys[start]! / scale);
    let end = start + 1;
    while (end < n && Math.floor(keys[end]! / scale) === prefix) end++;
    if (end - start > 16) {
      const run = sorted.slice(start, end).sort(ascending);
      for (let i = 0; i < run.length; i++) sorted[start + i] = run[i]!;
    } else if (end - start > 1) {
      // Short runs (the usual case): insertion sort in place.
      for (let i = start + 1; i < end; i++) {
        const v = sorted[i]!;
        let j = i - 1;
        while (j >= start && sorted[j]! > v) {
          sorted[j + 1] = sorted[j]!;
          j--;
        }
        sorted[j + 1] = v;
      }
    }
    start = end;
  }
  for (let i = 0; i < n; i++) tags[i] = sorted[n - 1 - i]!;
  return true;
}

/** Adler-32 of bytes (RFC 1950). */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  const MOD = 65521;
  // 5552 is the largest block for which the sums cannot overflow 2^53 before the modulo.
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(i + 5552, bytes.length);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/;

/** JSON of a string array as Go's `json.Marshal` writes it (HTML-safe escapes). */
export function goJsonStringArray(tags: readonly string[]): string {
  const json = JSON.stringify(tags);
  if (!HTML_UNSAFE.test(json)) return json;
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The scan revision of a stored (sorted) tag list: `adler32` is Flux's default Badger database
 * (decimal Adler-32 of the JSON array), `sha256` its `FluxStorage` variant (`sha256:<hex>` of the
 * tags each followed by a newline).
 */
export function tagsRevision(sortedTags: readonly string[], format: RevisionFormat): string {
  return revisionOf(sortedTags, format, false);
}

/**
 * {@link tagsRevision}, told whether the caller knows every tag to be written by Go's encoder as it
 * is: ASCII with no `"`, `\`, `<`, `>`, `&` and no control character but DEL, which Go writes
 * as it is (true of every tag parsed from a JSON text that is ASCII and holds none of `\`, `<`,
 * `>`, `&`: raw control characters cannot stand in a JSON string). The Adler-32 pass then skips
 * its per-character check, which cost about as much as the sum itself. Internal.
 */
export function revisionOf(
  sortedTags: readonly string[],
  format: RevisionFormat,
  knownPlain: boolean,
): string {
  if (format === 'sha256') {
    const h = createHash('sha256');
    // One update of the same bytes: every tag followed by a newline.
    if (sortedTags.length > 0) h.update(`${sortedTags.join('\n')}\n`);
    return `sha256:${h.digest('hex')}`;
  }
  const plain = plainJsonAdler32(sortedTags, knownPlain);
  if (plain !== undefined) return String(plain);
  return String(zlibAdler32(Buffer.from(goJsonStringArray(sortedTags), 'utf8')));
}

const ADLER_MOD = 65521;

/**
 * 1 for every UTF-16 code unit `plainJsonAdler32` cannot take as it is (outside printable ASCII,
 * or `"`, `\`, `<`, `>`, `&`), else 0. One table load per character costs less than the six
 * comparisons it replaces (about 8 ms less per 475,000 tags, bench/registry.bench.ts).
 */
const NOT_PLAIN = new Uint8Array(0x10000).fill(1);
for (let c = 0x20; c <= 0x7e; c++) NOT_PLAIN[c] = 0;
for (const c of '"\\<>&') NOT_PLAIN[c.charCodeAt(0)] = 1;
/** Longest tag the one-pass Adler-32 takes (keeps the per-tag sums exact in a float64). */
const PLAIN_MAX_TAG = 100_000;

/**
 * Adler-32 of `json.Marshal(tags)` computed in one pass over the tags, without building the JSON
 * text: when every character is printable ASCII that neither JSON nor Go's HTML-safe encoder
 * escapes (not `"`, `\`, `<`, `>`, `&`), the JSON is `["t1","t2",…]` byte for byte. Returns
 * undefined for anything else (the caller then encodes the JSON the general way).
 */
function plainJsonAdler32(tags: readonly string[], knownPlain = false): number | undefined {
  let a = 1 + 0x5b; // '['
  let b = a;
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!;
    const len = t.length;
    if (len > PLAIN_MAX_TAG) return undefined;
    if (i > 0) {
      a += 0x2c; // ','
      b += a;
    }
    a += 0x22; // '"'
    b += a;
    if (knownPlain) {
      for (let j = 0; j < len; j++) {
        a += t.charCodeAt(j);
        b += a;
      }
    } else {
      // Any character that is not plain sets `notPlain`; checked once per tag, not per character.
      let notPlain = 0;
      for (let j = 0; j < len; j++) {
        const c = t.charCodeAt(j);
        notPlain |= NOT_PLAIN[c]!;
        a += c;
        b += a;
      }
      if (notPlain !== 0) return undefined;
    }
    a += 0x22;
    b += a;
    // Sums stay below 2^53 within one tag of at most PLAIN_MAX_TAG characters.
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  a += 0x5d; // ']'
  b += a;
  a %= ADLER_MOD;
  b %= ADLER_MOD;
  return (b * 65536 + a) >>> 0;
}

/**
 * Adler-32 computed natively: a zlib stream (RFC 1950) ends with the Adler-32 of its input, and
 * level 0 ("stored") costs little more than a copy.
 */
function zlibAdler32(bytes: Buffer): number {
  const z = deflateSync(bytes, { level: 0 });
  return z.readUInt32BE(z.length - 4);
}
