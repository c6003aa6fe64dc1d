/**
 * ImagePolicy evaluation: spec validation, filterTags, and the three policies, with Flux's
 * selection loops, tie rules and message texts.
 */
import { compileGoRegex, RegexError, type GoRegex } from '@tidewatch/core';
import { PolicyError } from './errors.js';
import { parseGoFloat } from './numeric.js';
import { compareUtf8, sortDescendingUtf8 } from './order.js';
import { compareVersions, parseConstraint, parseVersionInto, Version, type Constraint } from './semver.js';

/** `spec.policy.semver` of an ImagePolicy. */
export interface SemVerPolicy {
  /** A Masterminds semver range, e.g. `>=1.0.0 <2.0.0` or `^1.x-0`. */
  readonly range: string;
}

/** `spec.policy.alphabetical` / `spec.policy.numerical` of an ImagePolicy. */
export interface OrderPolicy {
  /**
   * `asc` picks the greatest, `desc` the smallest. Case-insensitive, as in Flux.
   * @default 'asc'
   */
  readonly order?: string | undefined;
}

/** `spec.policy` of an ImagePolicy: exactly one of the three. */
export interface ImagePolicyChoice {
  /** Pick the highest version that satisfies a semver range. */
  readonly semver?: SemVerPolicy | undefined;
  /** Pick by UTF-8 byte order of the tag text. */
  readonly alphabetical?: OrderPolicy | undefined;
  /** Pick by the numeric value of the tag (Go `ParseFloat`). */
  readonly numerical?: OrderPolicy | undefined;
}

/** `spec.filterTags` of an ImagePolicy. */
export interface TagFilter {
  /**
   * A Go RE2 pattern; only tags it matches (anywhere, unanchored) are candidates.
   * @default '' (every tag)
   */
  readonly pattern?: string | undefined;
  /**
   * A Go `Regexp.Expand` template (`$1`, `${name}`, `$$`); when set, the candidate is the
   * expanded template instead of the whole tag.
   * @default '' (the whole tag)
   */
  readonly extract?: string | undefined;
}

/**
 * The parts of a Flux ImagePolicy `spec` that decide the tag. A full ImagePolicy spec (with
 * `imageRepositoryRef`, `digestReflectionPolicy`, ...) is assignable to it.
 */
export interface ImagePolicySpec {
  /** The policy that orders the candidates. */
  readonly policy: ImagePolicyChoice;
  /** Optional regex filter and extraction applied before the policy. */
  readonly filterTags?: TagFilter | undefined;
}

/** Which policy was applied. */
export type PolicyKind = 'semver' | 'alphabetical' | 'numerical';

/** Why a tag was or was not chosen. */
export type TagOutcome =
  | 'selected'
  | 'filtered-out'
  | 'extraction-collision'
  | 'not-a-version'
  | 'excluded-by-constraint'
  | 'prerelease-not-admitted'
  | 'lost';

/** The verdict on one tag in {@link PolicyEvaluation.trace}. */
export interface TagVerdict {
  /** The tag as scanned. */
  readonly tag: string;
  /** The string the policy judged (the tag, or the extracted text); absent when filtered out. */
  readonly candidate?: string;
  /** What happened to it. */
  readonly outcome: TagOutcome;
  /** The same in words, e.g. `1.2.0 < 1.3.0 (lost to v1.3.0)`. */
  readonly detail: string;
  /** For `lost` and `extraction-collision`: the tag that won instead. */
  readonly lostTo?: string;
}

/** The decision of {@link evaluatePolicy}, with the reason for every tag. */
export interface PolicyEvaluation {
  /** The selected original tag, or `undefined` when nothing is eligible. */
  readonly tag: string | undefined;
  /** The candidate string that won (differs from {@link tag} when `extract` is used). */
  readonly candidate: string | undefined;
  /** The policy that decided. */
  readonly policy: PolicyKind;
  /**
   * When {@link tag} is `undefined`: Flux's message, `version list argument cannot be empty`
   * (no candidate at all) or `unable to determine latest version from provided list`.
   */
  readonly noResult?: string;
  /** One verdict per distinct scanned tag, in Flux's evaluation order (descending UTF-8 bytes). */
  readonly trace: readonly TagVerdict[];
}

const EMPTY_LIST = 'version list argument cannot be empty';
const NO_LATEST = 'unable to determine latest version from provided list';

type Compiled =
  | { readonly kind: 'semver'; readonly constraint: Constraint; readonly filter: Filter | undefined }
  | {
      readonly kind: 'alphabetical' | 'numerical';
      readonly desc: boolean;
      readonly filter: Filter | undefined;
    };

interface Filter {
  readonly re: GoRegex;
  readonly extract: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(
  scope: string,
  fluxMessage: string,
  problems: readonly string[],
  cause?: unknown,
): PolicyError {
  return new PolicyError({ code: 'POLICY_INVALID', scope, fluxMessage, problems, cause });
}

/**
 * Validates a spec once, before any tag is looked at, collecting every problem; throws the first
 * one Flux would report (policy before filter) with all of them in `problems`.
 */
function compileSpec(spec: ImagePolicySpec): Compiled {
  const problems: { scope: string; text: string; cause?: unknown }[] = [];
  const add = (scope: string, text: string, cause?: unknown): void => {
    problems.push({ scope, text, cause });
  };
  const raw: unknown = spec;
  let policy: Compiled | undefined;
  let filter: Filter | undefined;

  if (!isRecord(raw)) {
    add('policy:spec', 'invalid policy: spec must be an object');
  } else {
    const choice = raw.policy;
    const set = isRecord(choice)
      ? (['semver', 'alphabetical', 'numerical'] as const).filter(
          (k) => choice[k] !== undefined && choice[k] !== null,
        )
      : [];
    if (!isRecord(choice) || set.length === 0) {
      add('policy:spec', 'invalid policy: given ImagePolicyChoice object is invalid');
    } else if (set.length > 1) {
      // Flux silently takes the first of semver, alphabetical, numerical; we refuse (spec rule 3).
      add(
        'policy:spec',
        `invalid policy: only one of spec.policy.semver, .alphabetical, .numerical may be set, got ${set.join(', ')}`,
      );
    } else {
      const kind = set[0]!;
      const body = choice[kind];
      if (kind === 'semver') {
        const range = isRecord(body) ? body.range : undefined;
        if (typeof range !== 'string') {
          add('policy:semver', 'invalid policy: spec.policy.semver.range must be a string');
        } else {
          try {
            policy = { kind, constraint: parseConstraint(range), filter: undefined };
          } catch (err) {
            if (!(err instanceof PolicyError)) throw err;
            add('policy:semver', err.fluxMessage, err);
          }
        }
      } else {
        const order = isRecord(body) ? body.order : undefined;
        if (!isRecord(body) || (order !== undefined && order !== null && typeof order !== 'string')) {
          add(`policy:${kind}`, `invalid policy: spec.policy.${kind}.order must be a string`);
        } else {
          const upper = (order ?? '').toUpperCase();
          if (upper !== '' && upper !== 'ASC' && upper !== 'DESC') {
            add(
              `policy:${kind}`,
              `invalid policy: invalid order argument provided: '${upper}', must be one of: ASC, DESC`,
            );
          } else {
            policy = { kind, desc: upper === 'DESC', filter: undefined };
          }
        }
      }
    }

    const ft = raw.filterTags;
    if (ft !== undefined && ft !== null) {
      if (!isRecord(ft)) {
        add('policy:filter-tags', 'invalid policy: spec.filterTags must be an object');
      } else {
        const pattern = ft.pattern ?? '';
        const extract = ft.extract ?? '';
        if (typeof pattern !== 'string')
          add('policy:filter-tags', 'invalid policy: spec.filterTags.pattern must be a string');
        if (typeof extract !== 'string')
          add('policy:filter-tags', 'invalid policy: spec.filterTags.extract must be a string');
        if (typeof pattern === 'string' && typeof extract === 'string') {
          try {
            filter = { re: compileGoRegex(pattern, { scope: 'policy:filter-tags' }), extract };
          } catch (err) {
            if (!(err instanceof RegexError)) throw err;
            add(
              'policy:filter-tags',
              `failed to filter tags: invalid regular expression pattern '${pattern}': ${err.goMessage}`,
              err,
            );
          }
        }
      }
    }
  }

  const first = problems[0];
  if (first !== undefined)
    throw invalid(
      first.scope,
      first.text,
      problems.map((p) => p.text),
      first.cause,
    );
  return { ...policy!, filter };
}

function toArray(tags: Iterable<string>): string[] {
  return Array.isArray(tags) ? (tags as string[]) : Array.from(tags);
}

// ---------------------------------------------------------------------------------------------
// Fast path: one pass, no sort, order-independent tie rules equal to Flux's loop over the
// descending-sorted list (checked against the traced path by a property test).

/** The candidate a tag yields under the filter, or `undefined` when the pattern does not match it. */
function candidateOf(tag: string, filter: Filter | undefined): string | undefined {
  if (filter === undefined) return tag;
  if (filter.extract === '') return filter.re.test(tag) ? tag : undefined;
  const m = filter.re.execIndices(tag);
  return m === null ? undefined : filter.re.expand(filter.extract, tag, m);
}

interface Tie {
  key: string; // greatest original: decides the candidate's place in the sorted order
  orig: string; // smallest original: the one Flux's map keeps
}

function selectSemverFast(
  tags: readonly string[],
  constraint: Constraint,
  filter: Filter | undefined,
): string | undefined {
  let best = new Version();
  let scratch = new Version();
  let have = false;
  let bestCand = '';
  let bestKey = '';
  let bestOrig = '';
  let ties: Map<string, Tie> | undefined;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    const cand = candidateOf(tag, filter);
    if (cand === undefined) continue;
    if (!parseVersionInto(cand, scratch, true) || !constraint.check(scratch)) continue;
    const d = have ? compareVersions(scratch, best) : 1;
    if (d > 0) {
      const t = best;
      best = scratch;
      scratch = t;
      have = true;
      bestCand = cand;
      bestKey = tag;
      bestOrig = tag;
      ties = undefined;
    } else if (d === 0) {
      if (cand === bestCand) {
        if (compareUtf8(tag, bestKey) > 0) bestKey = tag;
        if (compareUtf8(tag, bestOrig) < 0) bestOrig = tag;
      } else {
        ties ??= new Map();
        const t = ties.get(cand);
        if (t === undefined) ties.set(cand, { key: tag, orig: tag });
        else {
          if (compareUtf8(tag, t.key) > 0) t.key = tag;
          if (compareUtf8(tag, t.orig) < 0) t.orig = tag;
        }
      }
    }
  }
  if (!have) return undefined;
  if (ties !== undefined) {
    for (const t of ties.values()) {
      if (compareUtf8(t.key, bestKey) > 0) {
        bestKey = t.key;
        bestOrig = t.orig;
      }
    }
  }
  return bestOrig;
}

function selectAlphabeticalFast(
  tags: readonly string[],
  desc: boolean,
  filter: Filter | undefined,
): string | undefined {
  // Candidates are distinct strings, so the extreme one is unique; its original is the smallest
  // tag that produced it.
  let have = false;
  let bestCand = '';
  let bestOrig = '';
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    const cand = candidateOf(tag, filter);
    if (cand === undefined) continue;
    if (!have) {
      have = true;
      bestCand = cand;
      bestOrig = tag;
      continue;
    }
    const d = compareUtf8(cand, bestCand);
    if (d === 0) {
      if (compareUtf8(tag, bestOrig) < 0) bestOrig = tag;
    } else if (desc ? d < 0 : d > 0) {
      bestCand = cand;
      bestOrig = tag;
    }
  }
  return have ? bestOrig : undefined;
}

// ---------------------------------------------------------------------------------------------
// Traced path: Flux's pipeline step by step over the sorted list.

interface Candidate {
  readonly cand: string;
  orig: string;
}

function applyFilter(
  sorted: readonly string[],
  filter: Filter | undefined,
  trace: TagVerdict[] | undefined,
): { candidates: Candidate[]; verdictIndex: Map<string, number> } {
  const byCand = new Map<string, Candidate>();
  const candidates: Candidate[] = [];
  const verdictIndex = new Map<string, number>();
  for (const tag of sorted) {
    let cand = tag;
    if (filter !== undefined) {
      const m = filter.re.execIndices(tag);
      if (m === null) {
        trace?.push({
          tag,
          outcome: 'filtered-out',
          detail: `does not match filterTags.pattern '${filter.re.source}'`,
        });
        continue;
      }
      if (filter.extract !== '') cand = filter.re.expand(filter.extract, tag, m);
    }
    const existing = byCand.get(cand);
    if (existing !== undefined) {
      // Flux's map: the later tag (smaller in the sorted order) overwrites the earlier one.
      if (trace !== undefined) {
        const at = verdictIndex.get(existing.orig)!;
        trace[at] = {
          tag: existing.orig,
          candidate: cand,
          outcome: 'extraction-collision',
          detail: `extracts to "${cand}" like "${tag}", which replaces it (Flux keeps the last one written)`,
          lostTo: tag,
        };
      }
      existing.orig = tag;
    } else {
      const c = { cand, orig: tag };
      byCand.set(cand, c);
      candidates.push(c);
    }
    if (trace !== undefined) {
      verdictIndex.set(tag, trace.length);
      trace.push({ tag, candidate: cand, outcome: 'lost', detail: '' });
    }
  }
  return { candidates, verdictIndex };
}

function evaluate(tagsIn: Iterable<string>, spec: ImagePolicySpec, withTrace: boolean): PolicyEvaluation {
  const compiled = compileSpec(spec);
  const sorted = sortDescendingUtf8([...new Set(toArray(tagsIn))]);
  const trace: TagVerdict[] | undefined = withTrace ? [] : undefined;
  const { candidates, verdictIndex } = applyFilter(sorted, compiled.filter, trace);
  const policy = compiled.kind;
  const setVerdict = (c: Candidate, outcome: TagOutcome, detail: string, lostTo?: string): void => {
    if (trace === undefined) return;
    const at = verdictIndex.get(c.orig)!;
    trace[at] = {
      tag: c.orig,
      candidate: c.cand,
      outcome,
      detail,
      ...(lostTo !== undefined ? { lostTo } : {}),
    };
  };
  const done = (winner: Candidate | undefined, noResult?: string): PolicyEvaluation => {
    if (winner !== undefined) {
      setVerdict(winner, 'selected', `selected by ${policy} policy`);
      if (trace !== undefined) {
        for (let i = 0; i < trace.length; i++) {
          const v = trace[i]!;
          if (v.outcome === 'lost' && v.detail === '') {
            trace[i] = {
              ...v,
              detail: `ranks below "${winner.cand}" (lost to ${winner.orig})`,
              lostTo: winner.orig,
            };
          }
        }
      }
    }
    return {
      tag: winner?.orig,
      candidate: winner?.cand,
      policy,
      ...(noResult !== undefined ? { noResult } : {}),
      trace: trace ?? [],
    };
  };

  if (candidates.length === 0) return done(undefined, EMPTY_LIST);

  if (compiled.kind === 'semver') {
    const { constraint } = compiled;
    let best: Version | undefined;
    let winner: Candidate | undefined;
    for (const c of candidates) {
      const v = new Version();
      if (!parseVersionInto(c.cand, v, true)) {
        setVerdict(c, 'not-a-version', `"${c.cand}" is not a semantic version for Flux`);
        continue;
      }
      if (!constraint.check(v)) {
        const preOut = v.prerelease !== '' && !constraint.admitsPrerelease;
        setVerdict(
          c,
          preOut ? 'prerelease-not-admitted' : 'excluded-by-constraint',
          preOut
            ? `${String(v)} is a prerelease and no comparator of "${constraint.range}" has one`
            : `${String(v)} does not satisfy "${constraint.range}"`,
        );
        continue;
      }
      if (best === undefined || compareVersions(v, best) > 0) {
        best = v;
        winner = c;
      }
    }
    return winner === undefined ? done(undefined, NO_LATEST) : done(winner);
  }

  if (compiled.kind === 'alphabetical') {
    // Go's sort, then the first element: the greatest (asc) or smallest (desc) candidate.
    let winner = candidates[0]!;
    for (const c of candidates) {
      const d = compareUtf8(c.cand, winner.cand);
      if (compiled.desc ? d < 0 : d > 0) winner = c;
    }
    return done(winner);
  }

  // numerical: every candidate must parse; Flux's loop (later equal values win, NaN always replaces).
  // With filterTags Flux iterates a Go map, so ties between different candidates are random there;
  // spec rule 1 makes the candidate that comes first in the sorted order win instead.
  const firstWins = compiled.filter !== undefined;
  let winner: Candidate | undefined;
  let pv = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const cv = parseGoFloat(c.cand);
    if (cv === undefined) {
      throw new PolicyError({
        code: 'POLICY_EVALUATION',
        scope: 'policy:numerical',
        fluxMessage: `failed to parse invalid numeric value '${c.cand}'`,
      });
    }
    if (i > 0 && ((compiled.desc ? cv > pv : cv < pv) || (firstWins && cv === pv))) continue;
    winner = c;
    pv = cv;
  }
  return done(winner);
}

/**
 * Picks the tag Flux's ImagePolicy would pick from `tags`, or `undefined` when nothing is
 * eligible (Flux: `version list argument cannot be empty` / `unable to determine latest version
 * from provided list`). The answer does not depend on the order of `tags`.
 *
 * @throws {@link PolicyError} `POLICY_INVALID` for an invalid spec (before any tag is looked at),
 *   `POLICY_EVALUATION` when the numerical policy meets a tag that is not a number.
 * @example
 * ```ts
 * selectTag(['1.0.0', 'v1.1.0', '1.2.0-rc.1', 'latest'], { policy: { semver: { range: '>=1.0.0' } } });
 * // 'v1.1.0'
 * selectTag(['main-abc-100', 'main-def-99'], {
 *   policy: { numerical: { order: 'asc' } },
 *   filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>\\d+)$', extract: '$ts' },
 * });
 * // 'main-abc-100'
 * ```
 */
export function selectTag(tags: Iterable<string>, spec: ImagePolicySpec): string | undefined {
  const compiled = compileSpec(spec);
  if (compiled.kind === 'semver')
    return selectSemverFast(toArray(tags), compiled.constraint, compiled.filter);
  if (compiled.kind === 'alphabetical')
    return selectAlphabeticalFast(toArray(tags), compiled.desc, compiled.filter);
  return evaluate(tags, spec, false).tag;
}

/**
 * The same decision as {@link selectTag}, with the explain trace: for every distinct tag, whether
 * it was filtered out, collided with another tag's extraction, failed to parse, was excluded by
 * the range (or as a prerelease), lost (and to which tag), or was selected.
 *
 * @throws {@link PolicyError} as {@link selectTag}.
 * @example
 * ```ts
 * const r = evaluatePolicy(['1.0.0', '2.0.0-rc.1'], { policy: { semver: { range: '>=1.0.0' } } });
 * r.tag; // '1.0.0'
 * r.trace.find((v) => v.tag === '2.0.0-rc.1')?.outcome; // 'prerelease-not-admitted'
 * ```
 */
export function evaluatePolicy(tags: Iterable<string>, spec: ImagePolicySpec): PolicyEvaluation {
  return evaluate(tags, spec, true);
}
