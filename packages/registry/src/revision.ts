/**
 * Flux's tag ordering and scan revision strings.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';

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

/**
 * Sorts tags in place, descending by UTF-8 bytes (Go's `strings.Compare`), as Flux stores them.
 * Returns the same array.
 */
export function sortTagsDescending(tags: string[]): string[] {
  if (tags.some((t) => NON_ASCII.test(t))) return tags.sort(compareCodePointsDesc);
  // For ASCII, UTF-16 code units order like bytes; the default comparator is the fast path.
  return tags.sort().reverse();
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

/** JSON of a string array as Go's `json.Marshal` writes it (HTML-safe escapes). */
export function goJsonStringArray(tags: readonly string[]): string {
  return JSON.stringify(tags).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The scan revision of a stored (sorted) tag list: `adler32` is Flux's default Badger database
 * (decimal Adler-32 of the JSON array), `sha256` its `FluxStorage` variant (`sha256:<hex>` of the
 * tags each followed by a newline).
 */
export function tagsRevision(sortedTags: readonly string[], format: RevisionFormat): string {
  if (format === 'sha256') {
    const h = createHash('sha256');
    for (const t of sortedTags) h.update(`${t}\n`);
    return `sha256:${h.digest('hex')}`;
  }
  return String(adler32(Buffer.from(goJsonStringArray(sortedTags), 'utf8')));
}
