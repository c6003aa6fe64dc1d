/**
 * A shortcut for the most common run, in which no policy moved: when every line that mentions a marker
 * is a simple `key: value # marker` or `- value # marker` line whose marker resolves, without any
 * warning, to exactly the value already there, the file cannot change and is not parsed at all.
 *
 * It only ever answers "nothing to do" and must never hide a change: any line it does not fully
 * understand sends the file to the full CST pass. (A value on such a line that YAML reads as content
 * of a block scalar or a multi-line string is not set by the full pass either.)
 */
import { looksLikeMarker, parseMarker } from './marker.js';
import type { SetterLookup } from './resolve.js';

// Indent, then `- ` items and/or a simple `key: `, then one scalar without spaces, then the comment.
const KEY = String.raw`(?:[\w./-]+|"[^"\\\n]*"|'[^'\n]*')`;
const PLAIN = String.raw`[^\s#'"[\]{}&*!|>%@\x60,?:-][^\s#]*|-[^\s#]+`;
const SIMPLE = new RegExp(
  String.raw`^[ ]*(?:(?:- +)*${KEY}: +|(?:- +)+)(?:(${PLAIN})|"([^"\\\n]*)"|'([^'\n]*)')[ \t]+(#.*)$`,
);

/** True when no marker of `source` can change anything (see the module comment). */
export function allMarkersCurrent(source: string, lookup: SetterLookup): boolean {
  let start = 0;
  let seen = false;
  while (start < source.length) {
    let end = source.indexOf('\n', start);
    if (end < 0) end = source.length;
    let line = source.slice(start, end);
    start = end + 1;
    if (!looksLikeMarker(line)) continue;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const m = SIMPLE.exec(line);
    if (!m) return false;
    const value = m[1] ?? m[2] ?? m[3] ?? '';
    const marker = parseMarker(m[4]!);
    if (marker.kind !== 'marker') return false;
    const resolved = lookup(marker.setter);
    if (resolved.kind !== 'value' || resolved.value !== value) return false;
    if (resolved.suffix === 'digest' && resolved.policy.digest === undefined) return false;
    seen = true;
  }
  return seen;
}
