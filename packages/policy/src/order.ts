/**
 * Go's string order: plain byte order of the UTF-8 encoding, which is Unicode code point order.
 * JavaScript's `<` compares UTF-16 code units instead; the two differ only when a surrogate pair
 * (an astral character) meets a character in U+E000–U+FFFF, so the fast path uses `<` and only
 * strings with surrogates take the slow path.
 */

function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Compares two strings by UTF-8 bytes (Go's `<`): negative, zero or positive. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800–0xDFFF) stands for a code point above 0xFFFF, so it ranks above any
    // other code unit, including 0xE000–0xFFFF where UTF-16 order would put it below.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Sorts a copy of `tags` descending by UTF-8 bytes, as Flux stores scanned tags. */
export function sortDescendingUtf8(tags: readonly string[]): string[] {
  const out = tags.slice();
  if (out.some(hasSurrogate)) out.sort((a, b) => compareUtf8(b, a));
  else out.sort().reverse();
  return out;
}
