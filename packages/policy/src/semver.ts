/**
 * A port of Masterminds semver v3.5.0 as Flux's image-reflector-controller uses it: lenient
 * (`CoerceNewVersion`) version parsing with uint64 parts, precedence, and the constraint grammar
 * with all its quirks (dirty/wildcard comparators, group-wide prerelease opt-in, hyphen ranges).
 *
 * Parts that fit in 2^53 are kept as `number`; larger ones as `bigint`. The two are never mixed
 * for the same value (a value is a `bigint` only when it is too large for a `number`), so `===`
 * and `<`/`>` between them stay exact and the common path allocates no BigInt.
 */
import { compileGoRegex, type GoRegex } from '@tidewatch/core';
import { PolicyError } from './errors.js';

type Part = number | bigint;

const UINT64_MAX = 18446744073709551615n;

/** Options for {@link parseVersion}. */
export interface ParseVersionOptions {
  /**
   * Apply Flux's tag gate (`fluxcd/pkg/version.ParseVersion`) first: the text must contain at
   * least two dots anywhere. That is how Flux reads image tags; plain Masterminds `NewVersion`
   * (the default) also accepts `1`, `1.2`, `v1`.
   * @default false
   */
  readonly tag?: boolean;
}

/**
 * A parsed semantic version (Masterminds `*semver.Version`). Immutable.
 *
 * `String(version)` is the normalized `major.minor.patch[-prerelease][+metadata]`;
 * {@link Version.original} is the text it was parsed from.
 */
export class Version {
  /** @internal */ _major: Part = 0;
  /** @internal */ _minor: Part = 0;
  /** @internal */ _patch: Part = 0;
  /** @internal */ _pre = '';
  /** @internal */ _meta = '';
  /** @internal */ _original = '';

  /** @internal Use {@link parseVersion}. */
  constructor() {}

  /** Major version (exact uint64). */
  get major(): bigint {
    return BigInt(this._major);
  }
  /** Minor version (exact uint64). */
  get minor(): bigint {
    return BigInt(this._minor);
  }
  /** Patch version (exact uint64). */
  get patch(): bigint {
    return BigInt(this._patch);
  }
  /** Prerelease without the leading `-`; `''` when none. */
  get prerelease(): string {
    return this._pre;
  }
  /** Build metadata without the leading `+`; `''` when none. Ignored for ordering. */
  get metadata(): string {
    return this._meta;
  }
  /** The exact text this version was parsed from (Masterminds `Original()`). */
  get original(): string {
    return this._original;
  }

  /**
   * Precedence: `-1`, `0` or `1` as this version is lower than, equal to or greater than `other`.
   * Build metadata is ignored.
   */
  compare(other: Version): -1 | 0 | 1 {
    return compareVersions(this, other);
  }

  /** The normalized `major.minor.patch[-prerelease][+metadata]` (Masterminds `String()`). */
  toString(): string {
    let s = `${this._major}.${this._minor}.${this._patch}`;
    if (this._pre) s += `-${this._pre}`;
    if (this._meta) s += `+${this._meta}`;
    return s;
  }
}

const C_0 = 48;
const C_9 = 57;
const C_DOT = 46;
const C_DASH = 45;
const C_PLUS = 43;
const C_V = 118;

function isIdentChar(c: number): boolean {
  // [0-9A-Za-z-]
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C_DASH;
}

/** Reads a run of ASCII digits as a uint64 part; `undefined` on overflow (Go `ParseUint` range error). */
function digitsValue(s: string, start: number, end: number): Part | undefined {
  if (end - start <= 15) {
    let n = 0;
    for (let i = start; i < end; i++) n = n * 10 + (s.charCodeAt(i) - C_0);
    return n;
  }
  const big = BigInt(s.slice(start, end));
  if (big > UINT64_MAX) return undefined;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/**
 * Checks a dot-separated identifier list `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*` between `start` and
 * `end`; with `pre`, a purely numeric identifier must not have a leading zero.
 */
function validIdents(s: string, start: number, end: number, pre: boolean): boolean {
  let partStart = start;
  let numeric = true;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : C_DOT;
    if (c === C_DOT) {
      if (i === partStart) return false; // empty identifier
      if (pre && numeric && i - partStart > 1 && s.charCodeAt(partStart) === C_0) return false;
      partStart = i + 1;
      numeric = true;
    } else if (!isIdentChar(c)) {
      return false;
    } else if (c < C_0 || c > C_9) {
      numeric = false;
    }
  }
  return true;
}

/**
 * Parses `s` into `out` as Masterminds `NewVersion` does with `CoerceNewVersion` (the default):
 * `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$`,
 * uint64 parts (leading zeros allowed), prerelease numeric identifiers without leading zeros.
 *
 * @internal
 */
export function parseVersionInto(s: string, out: Version, tag: boolean): boolean {
  const n = s.length;
  if (tag) {
    // fluxcd/pkg/version: strings.SplitN(v, ".", 3) must give 3 pieces.
    const d1 = s.indexOf('.');
    if (d1 < 0 || s.indexOf('.', d1 + 1) < 0) return false;
  }
  let i = 0;
  if (s.charCodeAt(0) === C_V) i = 1;
  // major
  let st = i;
  while (i < n && s.charCodeAt(i) >= C_0 && s.charCodeAt(i) <= C_9) i++;
  if (i === st) return false;
  const major = digitsValue(s, st, i);
  if (major === undefined) return false;
  let minor: Part = 0;
  let patch: Part = 0;
  for (let part = 0; part < 2 && s.charCodeAt(i) === C_DOT; part++) {
    st = ++i;
    while (i < n && s.charCodeAt(i) >= C_0 && s.charCodeAt(i) <= C_9) i++;
    if (i === st) return false;
    const v = digitsValue(s, st, i);
    if (v === undefined) return false;
    if (part === 0) minor = v;
    else patch = v;
  }
  let pre = '';
  let meta = '';
  if (i < n && s.charCodeAt(i) === C_DASH) {
    st = ++i;
    while (i < n && s.charCodeAt(i) !== C_PLUS) i++;
    if (!validIdents(s, st, i, true)) return false;
    pre = s.slice(st, i);
  }
  if (i < n && s.charCodeAt(i) === C_PLUS) {
    st = ++i;
    i = n;
    if (!validIdents(s, st, i, false)) return false;
    meta = s.slice(st, i);
  }
  if (i !== n) return false;
  out._major = major;
  out._minor = minor;
  out._patch = patch;
  out._pre = pre;
  out._meta = meta;
  out._original = s;
  return true;
}

/**
 * Parses a version the way Masterminds semver v3.5.0 `NewVersion` does (the lenient default Flux
 * uses): optional lowercase `v`, 1–3 numeric parts (uint64, leading zeros allowed, missing parts
 * are 0), optional `-prerelease` and `+metadata`. No trimming. With `{ tag: true }`, Flux's tag
 * gate (two dots anywhere) applies first, as for image tags.
 *
 * @returns the version, or `undefined` when the text is not a version.
 * @example
 * ```ts
 * String(parseVersion('v2023.09.01-rc.1')); // '2023.9.1-rc.1'
 * parseVersion('1.2', { tag: true });        // undefined: Flux needs two dots in a tag
 * parseVersion('1.0-rc.1', { tag: true })?.toString(); // '1.0.0-rc.1'
 * ```
 */
export function parseVersion(input: string, options: ParseVersionOptions = {}): Version | undefined {
  const v = new Version();
  return parseVersionInto(input, v, options.tag ?? false) ? v : undefined;
}

/** Whether an identifier is numeric for Go `strconv.ParseUint(s, 10, 64)`. */
function isUint64(s: string): boolean {
  if (s.length === 0) return false;
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < C_0 || c > C_9) return false;
    if (first < 0 && c !== C_0) first = i;
  }
  if (first < 0) return true; // all zeros
  const sig = s.length - first;
  return sig < 20 || (sig === 20 && s.slice(first) <= '18446744073709551615');
}

function compareNumericIdents(a: string, b: string): number {
  const x = a.replace(/^0+(?=.)/, '');
  const y = b.replace(/^0+(?=.)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Masterminds `comparePrePart`. */
function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sNum = isUint64(s);
  const oNum = isUint64(o);
  if (!sNum && !oNum) return s > o ? 1 : -1; // ASCII only: code-unit order = byte order
  if (!oNum) return -1;
  if (!sNum) return 1;
  const d = compareNumericIdents(s, o);
  // Equal values with different texts cannot occur (no leading zeros in prereleases); Go returns -1.
  return d === 0 ? -1 : d;
}

/** Masterminds `comparePrerelease`: identifier by identifier, a missing one ranks lower. */
function comparePrerelease(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  const l = Math.max(as.length, bs.length);
  for (let i = 0; i < l; i++) {
    const d = comparePrePart(as[i] ?? '', bs[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

/** @internal Masterminds `Version.Compare`. */
export function compareVersions(v: Version, o: Version): -1 | 0 | 1 {
  if (v._major !== o._major) return v._major < o._major ? -1 : 1;
  if (v._minor !== o._minor) return v._minor < o._minor ? -1 : 1;
  if (v._patch !== o._patch) return v._patch < o._patch ? -1 : 1;
  const ps = v._pre;
  const po = o._pre;
  if (ps === po) return 0;
  if (ps === '') return 1;
  if (po === '') return -1;
  const d = comparePrerelease(ps, po);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Constraints

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

interface Comparator {
  readonly op: Op;
  readonly con: Version;
  readonly orig: string;
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

// Masterminds' own regular expressions, run on RE2 with Go semantics so that the range grammar
// (including its oddities, such as `|` inside a version part) is the library's exactly.
const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;

interface Grammar {
  readonly single: GoRegex;
  readonly range: GoRegex;
  readonly find: GoRegex;
  readonly valid: GoRegex;
}
let grammar: Grammar | undefined;

function getGrammar(): Grammar {
  grammar ??= {
    single: compileGoRegex(String.raw`^\s*(${OPS})\s*(${CV})\s*$`, { cache: false }),
    range: compileGoRegex(String.raw`\s*(${CV})\s+-\s+(${CV})\s*`, { cache: false }),
    find: compileGoRegex(String.raw`(${OPS})\s*(${CV})`, { cache: false }),
    valid: compileGoRegex(String.raw`^(\s*(${OPS})\s*(${CV})\s*)((?:\s+|,\s*)(${OPS})\s*(${CV})\s*)*$`, {
      cache: false,
    }),
  };
  return grammar;
}

/** Go's FindAll loop for a pattern that never matches empty. */
function findAll(re: GoRegex, s: string): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  let pos = 0;
  while (pos <= s.length) {
    const m = re.execIndices(pos === 0 ? s : s.slice(pos));
    if (m === null) break;
    out.push(m.map((x) => (x >= 0 ? x + pos : x)));
    pos += Math.max(m[1]!, m[0]! + 1);
  }
  return out;
}

function group(s: string, m: readonly number[], g: number): string {
  const a = m[2 * g] ?? -1;
  return a >= 0 ? s.slice(a, m[2 * g + 1]) : '';
}

/** Masterminds `rewriteRange`: `A - B` → `>= A, <= B `, each replacing the first occurrence. */
function rewriteRange(input: string): string {
  const { range } = getGrammar();
  let out = input;
  for (const m of findAll(range, input)) {
    const whole = group(input, m, 0);
    out = out.replace(whole, () => `>= ${group(input, m, 1)}, <= ${group(input, m, 11)} `);
  }
  return out;
}

/** Go `strconv.Quote`, as `%q` prints a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

function isX(s: string): boolean {
  return s === 'x' || s === 'X' || s === '*';
}

function invalid(detail: string, problems?: readonly string[]): PolicyError {
  return new PolicyError({
    code: 'POLICY_INVALID',
    scope: 'policy:semver',
    fluxMessage: `invalid policy: ${detail}`,
    ...(problems ? { problems } : {}),
  });
}

/** Masterminds `parseConstraint` for one comparator text found in an OR group. */
function parseComparator(c: string): Comparator {
  const { single } = getGrammar();
  const m = single.execIndices(c);
  if (m === null) throw invalid(`improper constraint: ${goQuote(c)}`);
  const op = group(c, m, 1) as Op;
  const orig = group(c, m, 2);
  const p3 = group(c, m, 3);
  const p4 = group(c, m, 4);
  const p5 = group(c, m, 5);
  const pre = group(c, m, 6);
  let ver = orig;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(p3) || p3 === '') {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(p4.replace(/^\./, '')) || p4 === '') {
    minorDirty = true;
    dirty = true;
    ver = `${p3}.0.0${pre}`;
  } else if (isX(p5.replace(/^\./, '')) || p5 === '') {
    dirty = true;
    patchDirty = true;
    ver = `${p3}${p4}.0${pre}`;
  }
  const con = parseVersion(ver);
  if (con === undefined) throw invalid('constraint parser error');
  return { op, con, orig, dirty, minorDirty, patchDirty };
}

function lessThan(v: Version, c: Version): boolean {
  return compareVersions(v, c) < 0;
}

/** Masterminds' constraint functions, `includePre` decided per OR group. */
function checkComparator(v: Version, c: Comparator, includePre: boolean): boolean {
  if (v._pre !== '' && !includePre) return false;
  const con = c.con;
  switch (c.op) {
    case '':
    case '=':
      if (c.dirty) return tilde(v, c);
      return compareVersions(v, con) === 0;
    case '!=':
      if (c.dirty) {
        if (con._major !== v._major) return true;
        if (con._minor !== v._minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (con._patch !== v._patch && !c.patchDirty) return true;
        if (c.patchDirty) {
          if (v._pre !== '' || con._pre !== '') return comparePrerelease(v._pre, con._pre) !== 0;
          return false;
        }
      }
      return compareVersions(v, con) !== 0;
    case '>':
      if (!c.dirty) return compareVersions(v, con) === 1;
      if (v._major > con._major) return true;
      if (v._major < con._major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v._minor > con._minor;
      return compareVersions(v, con) === 1;
    case '<':
      return compareVersions(v, con) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, con) >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return compareVersions(v, con) <= 0;
      if (v._major > con._major) return false;
      if (v._major === con._major && v._minor > con._minor && !c.minorDirty) return false;
      return true;
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (lessThan(v, con)) return false;
      if (con._major !== 0 || c.minorDirty) return v._major === con._major;
      if (v._major !== 0) return false;
      if (con._minor !== 0 || c.patchDirty) return v._minor === con._minor;
      if (v._minor !== 0) return false;
      return con._patch === v._patch;
  }
}

function tilde(v: Version, c: Comparator): boolean {
  const con = c.con;
  if (lessThan(v, con)) return false;
  // ~0.0.0 (and ~*, ~x) accepts everything.
  if (con._major === 0 && con._minor === 0 && con._patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v._major !== con._major) return false;
  if (v._minor !== con._minor && !c.minorDirty) return false;
  return true;
}

/**
 * A parsed semver range (Masterminds `*semver.Constraints`, `IncludePrerelease` false as in Flux).
 */
export interface Constraint {
  /** The range text as given. */
  readonly range: string;
  /**
   * Whether some OR group has a comparator with a prerelease, so that prerelease versions can
   * satisfy the range at all (Masterminds v3.4+ group-wide rule; Flux never sets `IncludePrerelease`).
   */
  readonly admitsPrerelease: boolean;
  /**
   * Whether `version` satisfies the range: some OR group whose every comparator accepts it. A
   * prerelease is only considered by an OR group that has a prerelease in one of its comparators.
   */
  check(version: Version): boolean;
}

class ConstraintImpl implements Constraint {
  readonly range: string;
  readonly admitsPrerelease: boolean;
  readonly #groups: readonly (readonly Comparator[])[];
  readonly #hasPre: readonly boolean[];

  constructor(range: string, groups: readonly (readonly Comparator[])[], hasPre: readonly boolean[]) {
    this.range = range;
    this.#groups = groups;
    this.#hasPre = hasPre;
    this.admitsPrerelease = hasPre.includes(true);
  }

  check(version: Version): boolean {
    const groups = this.#groups;
    for (let g = 0; g < groups.length; g++) {
      const cs = groups[g]!;
      const includePre = this.#hasPre[g]!;
      let ok = true;
      for (let i = 0; i < cs.length; i++) {
        if (!checkComparator(version, cs[i]!, includePre)) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  }

  toString(): string {
    return this.range;
  }
}

/**
 * Parses a semver range with Masterminds v3.5.0's grammar: hyphen ranges (`1.2 - 2.3`), `||`
 * between OR groups, comparators separated by whitespace and/or a comma, operators
 * `= != > < >= => <= =< ~ ~> ^`, wildcards `x X *` and partial versions.
 *
 * @throws {@link PolicyError} (`POLICY_INVALID`) with Masterminds' text:
 *   `improper constraint: "<group>"` or `constraint parser error`.
 * @example
 * ```ts
 * const c = parseConstraint('>=1.0.0 <2.0.0 || ^3.x-0');
 * c.check(parseVersion('3.1.0-rc.1')!); // true
 * ```
 */
export function parseConstraint(range: string): Constraint {
  const { find, valid } = getGrammar();
  const rewritten = rewriteRange(range);
  const ors = rewritten.split('||');
  const groups: Comparator[][] = [];
  const hasPre: boolean[] = [];
  for (const v of ors) {
    if (!valid.test(v)) throw invalid(`improper constraint: ${goQuote(v)}`);
    const found = findAll(find, v).map((m) => group(v, m, 0));
    if (found.length === 0) found.push(v);
    const cs = found.map(parseComparator);
    groups.push(cs);
    hasPre.push(cs.some((c) => c.con._pre !== ''));
  }
  return new ConstraintImpl(range, groups, hasPre);
}
