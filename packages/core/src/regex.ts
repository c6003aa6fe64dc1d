/**
 * User-supplied regular expressions, run the way Flux runs them: Go `regexp` syntax and semantics
 * (RE2: linear time, no backtracking, leftmost-first submatches, unanchored search).
 * Offsets are in UTF-16 code units of the JavaScript string (Go's are UTF-8 bytes); the matched
 * texts are the same.
 *
 * Where RE2 (C++) and Go differ, this follows Go, because re2js ports Go's parser: `\C` is an
 * invalid escape, `(?<name>…)` is accepted (Go ≥ 1.22), `\pN` one-letter classes work, repetition
 * counts above 1000 (also nested, `(a{1000}){1000}`) are `invalid repeat count`, and
 * `(?<=…)` is an `invalid named capture`. Not reproduced: Go's `expression too large` limit on
 * huge compiled programs, and Go's view of lone UTF-16 surrogates (invalid UTF-8 there).
 *
 * The engine is `re2js`, a pure-JavaScript port of Go's `regexp` and `regexp/syntax` packages (via
 * RE2/J). Because its parser is a port of Go's, it accepts exactly Go's syntax (`(?P<n>…)`,
 * `(?<n>…)`, `\pN`, `[[:alpha:]]`, `\Q…\E`, repetition counts ≤ 1000) and reports Go's error texts
 * (`error parsing regexp: invalid escape sequence: \`\1\``).
 *
 * @packageDocumentation
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { TidewatchError, type TidewatchErrorOptions } from './errors.js';

/** What {@link RegexError} carries besides the standard options. */
export interface RegexErrorOptions extends Omit<TidewatchErrorOptions, 'retryable'> {
  /** `package:engine` that compiled the pattern, e.g. `policy:filter-tags`. */
  readonly scope: string;
  /** The pattern as the user wrote it. */
  readonly pattern: string;
  /** Go's error text, `error parsing regexp: <what>: \`<where>\``. */
  readonly goMessage: string;
}

/**
 * A pattern is not valid Go RE2 syntax. {@link RegexError.goMessage} holds the text Go's
 * `regexp.Compile` would return, for callers that must reproduce Flux's messages.
 *
 * Code: `REGEX_INVALID`.
 */
export class RegexError extends TidewatchError {
  /** The pattern as the user wrote it. */
  readonly pattern: string;
  /** Go's error text, e.g. ``error parsing regexp: missing closing ): `(a` ``. */
  readonly goMessage: string;

  constructor(options: RegexErrorOptions) {
    super(
      'REGEX_INVALID',
      `[${options.scope}] invalid regular expression pattern '${options.pattern}': ${options.goMessage}`,
      options,
    );
    this.pattern = options.pattern;
    this.goMessage = options.goMessage;
  }
}

/** One leftmost-first match, as Go's `FindStringSubmatchIndex` plus the texts. */
export interface GoRegexMatch {
  /** Offset (UTF-16 units) where the whole match starts. */
  readonly index: number;
  /** Offset (UTF-16 units) just after the whole match. */
  readonly end: number;
  /**
   * Texts of group 0 (the whole match) and of every capturing group; `undefined` for a group
   * that did not take part in the match.
   */
  readonly groups: readonly (string | undefined)[];
  /** `[start, end)` offsets of group 0 and every capturing group; `undefined` when it did not take part. */
  readonly indices: readonly (readonly [number, number] | undefined)[];
  /** Texts of the named groups by name (`undefined` when the group did not take part). */
  readonly named: Readonly<Record<string, string | undefined>>;
}

/** A compiled Go RE2 pattern. Immutable and safe to share: it keeps no `lastIndex` state. */
export interface GoRegex {
  /** The pattern as given. */
  readonly source: string;
  /**
   * The names of the capturing groups by group number, as Go's `SubexpNames()`: index 0 is the
   * whole match, unnamed groups are `''`.
   */
  readonly groupNames: readonly string[];
  /** Number of capturing groups (group 0 not counted), as Go's `NumSubexp()`. */
  readonly groupCount: number;
  /** Whether the pattern matches anywhere in `input` (Go `MatchString`). */
  test(input: string): boolean;
  /** The leftmost-first match in `input` with its groups, or `null` (Go `FindStringSubmatch`). */
  exec(input: string): GoRegexMatch | null;
  /**
   * The leftmost-first match as a flat offsets array `[s0, e0, s1, e1, …]` with `-1` for groups that
   * did not take part, or `null` (Go `FindStringSubmatchIndex`). The cheapest way to get groups:
   * one engine call, one small array.
   */
  execIndices(input: string): readonly number[] | null;
  /**
   * Go `Regexp.ExpandString(nil, template, src, match)`: expands `$1`, `${1}`, `$name`,
   * `${name}` and `$$` in `template` using a match of this pattern in `src` (offsets from
   * {@link GoRegex.execIndices}). Unknown or non-participating groups expand to `''`; a malformed
   * reference keeps its `$`.
   */
  expand(template: string, src: string, indices: readonly number[]): string;
}

/** Options for {@link compileGoRegex}. */
export interface CompileGoRegexOptions {
  /**
   * `package:engine` named in a {@link RegexError} message.
   * @default 'core:regex'
   */
  readonly scope?: string;
  /**
   * Whether to use (and fill) the shared cache of compiled patterns.
   * @default true
   */
  readonly cache?: boolean;
}

// A template is compiled once into literal pieces and group references.
type TemplatePart = string | { readonly group: number };

/** Most recently used compiled patterns (insertion order of a Map = recency). */
const CACHE_LIMIT = 256;
const cache = new Map<string, GoRegexImpl>();

class GoRegexImpl implements GoRegex {
  readonly source: string;
  readonly groupNames: readonly string[];
  readonly groupCount: number;
  readonly #re2: ReturnType<RE2JS['re2']>;
  readonly #byName: ReadonlyMap<string, number>;
  readonly #templates = new Map<string, readonly TemplatePart[]>();

  constructor(source: string, pattern: RE2JS) {
    this.source = source;
    this.#re2 = pattern.re2();
    this.groupCount = pattern.groupCount();
    const names: string[] = new Array<string>(this.groupCount + 1).fill('');
    const byName = new Map<string, number>();
    for (const [name, num] of Object.entries(pattern.namedGroups())) {
      names[num] = name;
      byName.set(name, num);
    }
    this.groupNames = names;
    this.#byName = byName;
  }

  test(input: string): boolean {
    return this.#re2.match(input);
  }

  execIndices(input: string): readonly number[] | null {
    return this.#re2.findSubmatchIndex(input) as number[] | null;
  }

  exec(input: string): GoRegexMatch | null {
    const a = this.execIndices(input);
    if (a === null) return null;
    const groups: (string | undefined)[] = [];
    const indices: (readonly [number, number] | undefined)[] = [];
    const named: Record<string, string | undefined> = {};
    for (let g = 0; g <= this.groupCount; g++) {
      const s = a[2 * g] ?? -1;
      const e = a[2 * g + 1] ?? -1;
      const text = s >= 0 ? input.slice(s, e) : undefined;
      groups.push(text);
      indices.push(s >= 0 ? [s, e] : undefined);
      const name = this.groupNames[g];
      if (name) named[name] = text;
    }
    return { index: a[0] ?? 0, end: a[1] ?? 0, groups, indices, named };
  }

  expand(template: string, src: string, indices: readonly number[]): string {
    let parts = this.#templates.get(template);
    if (parts === undefined) {
      parts = parseTemplate(template, this.#byName);
      if (this.#templates.size < 64) this.#templates.set(template, parts);
    }
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const s = indices[2 * part.group] ?? -1;
      if (s >= 0) out += src.slice(s, indices[2 * part.group + 1]);
    }
    return out;
  }
}

/**
 * Parses a Go `Expand` template. Rules of Go's `regexp.extract`: after `$`, either `{name}` or the
 * longest run of letters, digits and `_`; a name made only of digits (no leading zero unless it is
 * `0`, below 1e8) is a group number; anything else is looked up as a group name. Unknown names and
 * numbers expand to nothing; a `$` not followed by a valid reference is kept literally.
 */
function parseTemplate(template: string, byName: ReadonlyMap<string, number>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      literal += template.slice(i);
      break;
    }
    literal += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      literal += '$';
      i++;
      continue;
    }
    const ref = readReference(template, i);
    if (ref === undefined) {
      // Malformed: Go writes the `$` and goes on after it.
      literal += '$';
      continue;
    }
    i = ref.next;
    const group = ref.num ?? byName.get(ref.name);
    if (group === undefined) continue; // unknown name or number: expands to ''
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ group });
  }
  if (literal) parts.push(literal);
  return parts;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

function readReference(
  template: string,
  start: number,
): { name: string; num: number | undefined; next: number } | undefined {
  let i = start;
  const brace = template[i] === '{';
  if (brace) i++;
  let name = '';
  while (i < template.length) {
    const cp = template.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    // Go accepts unicode.IsLetter, unicode.IsDigit (category Nd) and '_'.
    if (!NAME_CHAR.test(ch)) break;
    name += ch;
    i += ch.length;
  }
  if (name === '') return undefined;
  if (brace) {
    if (template[i] !== '}') return undefined;
    i++;
  }
  return { name, num: groupNumber(name), next: i };
}

/**
 * Go's rule: all ASCII digits and no leading zero (except `0` itself); Go stops accepting digits
 * once the value reached 1e8, so at most 9 digits make a number and longer runs are names.
 */
function groupNumber(name: string): number | undefined {
  if (!/^[0-9]+$/.test(name)) return undefined;
  if (name.length > 1 && name[0] === '0') return undefined;
  if (name.length > 9) return undefined;
  return Number(name);
}

/**
 * Compiles a pattern with Go's `regexp.Compile` syntax and semantics (RE2), caching the result:
 * the same patterns run on every scan. Never runs a backtracking engine.
 *
 * A numbered group reference beyond the pattern's groups expands to `''` in
 * {@link GoRegex.expand}, as in Go.
 *
 * @throws {@link RegexError} (`REGEX_INVALID`) when the pattern is not valid Go syntax; its
 *   `goMessage` is Go's own error text.
 * @example
 * ```ts
 * const re = compileGoRegex('^main-[a-f0-9]+-(?P<ts>\\d+)$', { scope: 'policy:filter-tags' });
 * const m = re.execIndices('main-3f2a-1700000000');
 * if (m) re.expand('$ts', 'main-3f2a-1700000000', m); // '1700000000'
 * ```
 */
export function compileGoRegex(pattern: string, options: CompileGoRegexOptions = {}): GoRegex {
  const useCache = options.cache ?? true;
  if (useCache) {
    const hit = cache.get(pattern);
    if (hit !== undefined) {
      cache.delete(pattern);
      cache.set(pattern, hit);
      return hit;
    }
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (err) {
    // Go's syntax.Error always prints ": `<expr>`", even when the expression part is empty
    // (`trailing backslash at end of expression: \`\``); re2js leaves an empty one out.
    const goMessage =
      err instanceof RE2JSSyntaxException
        ? `error parsing regexp: ${err.getDescription()}: \`${err.getPattern() ?? ''}\``
        : `error parsing regexp: ${err instanceof Error ? err.message : String(err)}`;
    throw new RegexError({ scope: options.scope ?? 'core:regex', pattern, goMessage, cause: err });
  }
  const re = new GoRegexImpl(pattern, compiled);
  if (useCache) {
    cache.set(pattern, re);
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  return re;
}
