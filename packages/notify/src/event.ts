/**
 * Event helpers: Go `encoding/json` bytes for events and provider payloads, and the small text
 * transformations Flux's notifiers share (object labels, camel-case splitting, title casing, the
 * shared Markdown post).
 *
 * @packageDocumentation
 */
import { encodeEvent as coreEncodeEvent, formatEventTimestamp } from '@tidewatch/core';
import type { FluxEvent, ObjectReference } from './types.js';

/** A string-keyed map that {@link goJson} encodes with keys sorted by UTF-8 bytes, as Go does. */
export class GoMap {
  /** The map's entries (insertion order is irrelevant: encoding sorts). */
  readonly record: Readonly<Record<string, unknown>>;
  constructor(record: Readonly<Record<string, unknown>>) {
    this.record = record;
  }
}

/** Wraps a record so that {@link goJson} encodes it as a Go map (sorted keys). */
export function goMap(record: Readonly<Record<string, unknown>> | undefined): GoMap {
  return new GoMap(record ?? {});
}

/** Compares two strings by their UTF-8 bytes (Go's string order). */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 code-unit order equals UTF-8 byte order unless a surrogate or U+E000..U+FFFF is involved.
  if (!WIDE.test(a) && !WIDE.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const WIDE = /[\ud800-\uffff]/;

/** The entries of a string map sorted by key bytes, as Go's `sort.Strings` would order them. */
export function sortedEntries(record: Readonly<Record<string, string>> | undefined): [string, string][] {
  if (!record) return [];
  return Object.entries(record).sort((x, y) => compareBytes(x[0], y[0]));
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal exactly as Go's `encoding/json` writes it (HTML-safe escaping). */
export function goString(value: string): string {
  return (
    JSON.stringify(value)
      .replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c)
      // Go writes invalid UTF-8 (here: lone surrogates) as the replacement character.
      .replace(/\\ud[89a-f][0-9a-f]{2}/g, '\\ufffd')
  );
}

/**
 * Encodes a value as Go's `encoding/json` would: plain objects are structs (fields in insertion
 * order, `undefined` fields omitted), {@link GoMap}s are maps (sorted keys), strings are
 * HTML-escaped, no whitespace.
 */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v)).join(',')}]`;
  if (value instanceof GoMap) {
    const keys = Object.keys(value.record).sort(compareBytes);
    return `{${keys.map((k) => `${goString(k)}:${goJson(value.record[k])}`).join(',')}}`;
  }
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      parts.push(`${goString(k)}:${goJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return 'null';
}

function toDate(timestamp: Date | string | null): Date {
  if (timestamp instanceof Date) return timestamp;
  if (timestamp === null || timestamp === '') return new Date(Number.NaN);
  return new Date(timestamp);
}

/**
 * RFC 3339 UTC with second precision (Kubernetes' `metav1.Time`), or `null` for the zero/invalid
 * time.
 */
export function normalizeTimestamp(timestamp: Date | string | null): string | null {
  return formatEventTimestamp(toDate(timestamp));
}

/** Unix seconds of an event timestamp (Go's zero time for a missing one). */
export function unixSeconds(timestamp: Date | string | null): number {
  const ms = toDate(timestamp).getTime();
  return Number.isNaN(ms) ? -62135596800 : Math.floor(ms / 1000);
}

/**
 * Encodes an event to the exact bytes Flux's Go encoder produces (core's `encodeEvent`: field
 * order, sorted metadata, HTML-safe escapes, no whitespace). `generic-hmac` signs these bytes;
 * Matrix hashes them.
 *
 * @example
 * ```ts
 * encodeEvent(event); // '{"involvedObject":{"kind":"GitRepository",...},"severity":"info",...}'
 * ```
 */
export function encodeEvent(event: FluxEvent): string {
  return coreEncodeEvent({ ...event, timestamp: toDate(event.timestamp) });
}

/** `<lowercase kind>/<name>.<namespace>`: how most chat providers name the object. */
export function objectLabel(ref: ObjectReference): string {
  return `${ref.kind.toLowerCase()}/${ref.name}.${ref.namespace ?? ''}`;
}

type RuneClass = 'lower' | 'upper' | 'digit' | 'other';

function runeClass(ch: string): RuneClass {
  if (/\p{Ll}/u.test(ch)) return 'lower';
  if (/\p{Lu}|\p{Lt}/u.test(ch)) return 'upper';
  if (/\p{Nd}/u.test(ch)) return 'digit';
  return 'other';
}

/**
 * Splits a CamelCase word at its case boundaries, the way Flux's `camelcase.Split` does:
 * `HealthCheckFailed` → `Health`, `Check`, `Failed`; `OCIRepository` → `OCI`, `Repository`.
 */
export function splitCamelCase(word: string): string[] {
  const runs: string[][] = [];
  let last: RuneClass | undefined;
  for (const ch of word) {
    const cls = runeClass(ch);
    if (cls === last && runs.length > 0) runs[runs.length - 1]!.push(ch);
    else runs.push([ch]);
    last = cls;
  }
  // An upper-case run followed by a lower-case run gives its last letter to the next word.
  for (let i = 0; i < runs.length - 1; i++) {
    const cur = runs[i]!;
    const next = runs[i + 1]!;
    if (runeClass(cur[0]!) === 'upper' && runeClass(next[0]!) === 'lower') {
      next.unshift(cur.pop()!);
    }
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(''));
}

/** `ReconciliationSucceeded` → `reconciliation succeeded` (descriptions of PagerDuty and git statuses). */
export function describeReason(reason: string): string {
  return splitCamelCase(reason)
    .map((w) => w.toLowerCase())
    .join(' ');
}

/**
 * Unicode title casing as `golang.org/x/text/cases.Title` does it: the first letter of each word
 * upper-cased, **the rest lower-cased** (`ReconciliationSucceeded` → `Reconciliationsucceeded`).
 */
export function titleCase(text: string): string {
  return text.replace(/[\p{L}\p{N}'’]+/gu, (word) => {
    const [first = '', ...rest] = [...word];
    return first.toUpperCase() + rest.join('').toLowerCase();
  });
}

/**
 * The Markdown post shared by zulip and the PR/MR comment providers: a heading, an icon with
 * `<Kind>/<namespace>/<name>`, the message and every metadata key sorted, except `change_request`.
 */
export function markdownPost(event: FluxEvent): string {
  const icon = event.severity === 'error' ? '\u26a0\ufe0f' : '\u2139\ufe0f';
  const ref = event.involvedObject;
  let out = `## Flux Status\n\n${icon} ${ref.kind}/${ref.namespace ?? ''}/${ref.name}\n\n${event.message}\n\nMetadata:\n`;
  for (const [k, v] of sortedEntries(event.metadata)) {
    if (k === 'change_request') continue;
    out += `* \`${k}\`: ${v}\n`;
  }
  return out;
}
