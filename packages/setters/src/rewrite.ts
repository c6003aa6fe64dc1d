/**
 * The setter pass over one file's text, on the `yaml` package's CST: find every marked scalar value
 * the way Flux does (automation.md §2-3), and replace only that scalar's bytes (spec README rule 2).
 *
 * This module imports no workspace package, so that the worker threads of `updateFiles` (see
 * `pool.ts`) can load it on its own, also from the TypeScript sources under the test runner.
 */
import { CST, Composer, LineCounter } from 'yaml';
import { allMarkersCurrent } from './current.js';
import { looksLikeMarker, parseMarker } from './marker.js';
import type { SetterLookup } from './resolve.js';
import { YamlParser } from './parser.js';
import { renderFlowScalar } from './quote.js';
import type {
  ApplySettersResult,
  ObjectRef,
  SetterChange,
  SetterWarning,
  SetterWarningCode,
} from './types.js';

/** The byte sequence a file must contain to be considered at all (Flux's screen, quotes included). */
export const MARKER_TOKEN = '"$imagepolicy"';

type Role = 'root' | 'key' | 'map-value' | 'seq-item';
type ValueNode = CST.FlowScalar | CST.BlockScalar;
type Collection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;

interface SrcLeaf {
  readonly kind: 'src';
  readonly tok: CST.SourceToken | CST.ErrorToken | CST.Directive | CST.DocumentEnd;
  /** For indicators (`-`, `:`, `?`): the value of their item, `null` when it has none. */
  readonly itemValue?: CST.Token | null;
}
interface NodeLeaf {
  readonly kind: 'node';
  readonly node: ValueNode;
  readonly role: Role;
  readonly inFlow: boolean;
}
interface CollLeaf {
  readonly kind: 'coll';
  readonly node: Collection;
  readonly role: Role;
}
type Leaf = SrcLeaf | NodeLeaf | CollLeaf;

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const EMPTY_REF: ObjectRef = Object.freeze({ apiVersion: '', kind: '', name: '', namespace: '' });

function leafOffset(leaf: Leaf): number {
  return leaf.kind === 'src' ? leaf.tok.offset : leaf.node.offset;
}

/** Whether `leaf` is a source token of one of the given types (fixed parameters: this is hot). */
function isSrc(
  leaf: Leaf | undefined,
  a: string,
  b?: string,
  c?: string,
  d?: string,
  e?: string,
): leaf is SrcLeaf {
  if (leaf?.kind !== 'src') return false;
  const t = leaf.tok.type;
  return t === a || t === b || t === c || t === d || t === e;
}

/** Flattens a CST token into leaves in source order, remembering each scalar's role. */
function flatten(token: CST.Token, role: Role, inFlow: boolean, out: Leaf[]): void {
  switch (token.type) {
    case 'document':
      for (const t of token.start) out.push({ kind: 'src', tok: t });
      if (token.value) flatten(token.value, 'root', false, out);
      for (const t of token.end ?? []) out.push({ kind: 'src', tok: t });
      return;
    case 'doc-end':
      out.push({ kind: 'src', tok: token });
      for (const t of token.end ?? []) out.push({ kind: 'src', tok: t });
      return;
    case 'block-map':
    case 'block-seq': {
      out.push({ kind: 'coll', node: token, role });
      const valueRole: Role = token.type === 'block-map' ? 'map-value' : 'seq-item';
      for (const item of token.items) {
        const itemValue = item.value ?? null;
        for (const t of item.start) out.push({ kind: 'src', tok: t, itemValue });
        if (item.key) flatten(item.key, 'key', false, out);
        for (const t of item.sep ?? []) out.push({ kind: 'src', tok: t, itemValue });
        if (item.value) flatten(item.value, valueRole, false, out);
      }
      return;
    }
    case 'flow-collection': {
      out.push({ kind: 'coll', node: token, role });
      out.push({ kind: 'src', tok: token.start });
      const isMap = token.start.source === '{';
      for (const item of token.items) {
        const itemValue = item.value ?? null;
        for (const t of item.start) out.push({ kind: 'src', tok: t, itemValue });
        if (item.key) flatten(item.key, 'key', true, out);
        for (const t of item.sep ?? []) out.push({ kind: 'src', tok: t, itemValue });
        const pair =
          isMap || item.key !== undefined || (item.sep ?? []).some((t) => t.type === 'map-value-ind');
        if (item.value) flatten(item.value, pair ? 'map-value' : 'seq-item', true, out);
      }
      for (const t of token.end) out.push({ kind: 'src', tok: t });
      return;
    }
    case 'alias':
    case 'scalar':
    case 'single-quoted-scalar':
    case 'double-quoted-scalar':
      out.push({ kind: 'node', node: token, role, inFlow });
      for (const t of token.end ?? []) out.push({ kind: 'src', tok: t });
      return;
    case 'block-scalar':
      out.push({ kind: 'node', node: token, role, inFlow: false });
      for (const t of token.props) {
        if (t.type !== 'block-scalar-header') out.push({ kind: 'src', tok: t as CST.SourceToken });
      }
      return;
    default:
      out.push({ kind: 'src', tok: token });
  }
}

function scalarText(token: CST.Token | null | undefined, used?: number[]): string | undefined {
  if (!token || !CST.isScalar(token)) return undefined;
  used?.push(token.offset);
  return CST.resolveAsScalar(token)?.value;
}

function mapEntries(
  token: CST.Token | null | undefined,
): (CST.BlockMap | CST.FlowCollection)['items'] | undefined {
  if (!token) return undefined;
  if (token.type === 'block-map') return token.items;
  if (token.type === 'flow-collection' && token.start.source === '{') return token.items;
  return undefined;
}

/** The value of the first entry named `key` (kyaml looks fields up by name: the first one wins). */
function mapGet(token: CST.Token | null | undefined, key: string): CST.Token | undefined {
  for (const item of mapEntries(token) ?? []) {
    if (scalarText(item.key) === key) return item.value ?? undefined;
  }
  return undefined;
}

/** The object's identity; `used` collects the offsets of the scalars it was read from. */
function objectRef(root: CST.Token | undefined, used: number[]): ObjectRef {
  if (!mapEntries(root)) return EMPTY_REF;
  const metadata = mapGet(root, 'metadata');
  return {
    apiVersion: scalarText(mapGet(root, 'apiVersion'), used) ?? '',
    kind: scalarText(mapGet(root, 'kind'), used) ?? '',
    name: scalarText(mapGet(metadata, 'name'), used) ?? '',
    namespace: scalarText(mapGet(metadata, 'namespace'), used) ?? '',
  };
}

/**
 * Object identity by offset: the document's, or a `List` item's (Flux unwraps lists). `used`
 * collects the offsets of the scalars the identities were read from.
 */
function identities(root: CST.Token | undefined, used: number[]): (offset: number) => ObjectRef {
  const doc = objectRef(root, used);
  if (doc.kind !== 'List' && doc.kind !== 'ResourceList') return () => doc;
  const items = mapGet(root, 'items');
  const seq = items?.type === 'block-seq' || items?.type === 'flow-collection' ? items.items : [];
  const ranges = seq
    .filter((i) => i.value)
    .map((i) => ({ start: i.value!.offset, ref: objectRef(i.value, used) }));
  return (offset) => {
    let found = doc;
    for (const r of ranges) if (r.start <= offset) found = r.ref;
    return ranges.length > 0 && offset >= ranges[0]!.start ? found : doc;
  };
}

/** Rewrites a block scalar header to `-` chomping, keeping its style and indentation indicator. */
function stripChomping(header: string): string {
  const m = /^([|>])([-+1-9]*)(.*)$/s.exec(header);
  if (!m) return header;
  const [, style, mods = '', rest = ''] = m;
  return mods.includes('+') || mods.includes('-')
    ? `${style}${mods.replace(/[+-]/, '-')}${rest}`
    : `${style}${mods}-${rest}`;
}

/**
 * How a block scalar's value is replaced, whatever the value: its header gets `-` chomping, and its
 * content lines (trailing blank lines kept) become `indent + value + eol`.
 */
interface BlockPlan {
  readonly header: Edit | undefined;
  readonly contentStart: number;
  readonly keepEnd: number;
  readonly indent: string;
  readonly eol: string;
}

function blockScalarEdits(plan: BlockPlan | null, value: string): Edit[] {
  if (!plan) return [];
  const edits: Edit[] = plan.header ? [plan.header] : [];
  const text = value === '' ? '' : `${plan.indent}${value}${plan.eol}`;
  edits.push({ start: plan.contentStart, end: plan.contentStart + plan.keepEnd, text });
  return edits;
}

function blockScalarPlan(node: CST.BlockScalar): BlockPlan | null {
  const header = node.props.find((t) => t.type === 'block-scalar-header') as CST.SourceToken | undefined;
  const last = node.props[node.props.length - 1] as CST.SourceToken | undefined;
  if (!header || !last) return null;
  const newHeader = stripChomping(header.source);
  const headerEdit =
    newHeader === header.source
      ? undefined
      : { start: header.offset, end: header.offset + header.source.length, text: newHeader };
  const contentStart = last.offset + last.source.length;
  const newline = last.source.endsWith('\r\n') ? '\r\n' : '\n';
  // Keep trailing blank lines (they are outside the value once chomped); replace the rest.
  let keepEnd = 0;
  let indent: string | undefined;
  let at = 0;
  for (const line of node.source.split(/(?<=\n)/)) {
    at += line.length;
    if (line.trim() !== '') {
      keepEnd = at;
      indent ??= /^ */.exec(line)![0];
    }
  }
  const explicit = /[1-9]/.exec(header.source)?.[0];
  if (explicit) indent = ' '.repeat(node.indent + Number(explicit));
  indent ??= ' '.repeat(node.indent + 2);
  const replaced = node.source.slice(0, keepEnd);
  const eol = keepEnd === 0 || /\n$/.test(replaced) ? newline : '';
  return { header: headerEdit, contentStart, keepEnd, indent, eol };
}

/** A marked scalar value: what the setter pass needs to rewrite it, whatever the policies say. */
export interface AnalysedSite {
  readonly kind: 'site';
  /** The setter the marker names. */
  readonly setter: string;
  /** Where the marker comment is (warnings point there). */
  readonly markerAt: number;
  readonly type: 'scalar' | 'single-quoted-scalar' | 'double-quoted-scalar' | 'block-scalar';
  /** The scalar's source range. */
  readonly start: number;
  readonly end: number;
  /** Its current value. */
  readonly value: string;
  readonly inFlow: boolean;
  /** Block scalars only: how their content is replaced (`null`: it cannot be). */
  readonly block?: BlockPlan | null;
  readonly object: ObjectRef;
}

/** A warning that does not depend on the policies. */
export interface AnalysedWarning {
  readonly kind: 'warn';
  readonly code: SetterWarningCode;
  readonly offset: number;
  readonly detail: string;
  readonly setter?: string;
}

/**
 * Everything the setter pass learns from parsing one text that does not depend on the policies:
 * replayed by {@link applyAnalysis} against any policies, it gives exactly what the full pass gives.
 * Plain data (it crosses threads and is kept by `updateFiles`' cache).
 */
export interface FileAnalysis {
  /** Warnings and marked values, in the order the full pass meets them. */
  readonly steps: readonly (AnalysedSite | AnalysedWarning)[];
  /** The last step is an `unsupported-document` warning: the file is left as it is. */
  readonly stopped: boolean;
  /** The parser's line starts (for line and column numbers). */
  readonly lineStarts: readonly number[];
  /** Offsets of the scalars object identities were read from. */
  readonly identity: readonly number[];
  /**
   * Whether the text composes as YAML: `null` when it does, its first error when not, `undefined`
   * when not checked yet (the check runs only when the outcome depends on it).
   */
  invalid?: ComposeError | null;
}

/** The first error composing a text found. */
export interface ComposeError {
  readonly offset: number;
  readonly message: string;
}

/** What analysing one document collects. */
interface Analysing {
  readonly lc: LineCounter;
  readonly steps: (AnalysedSite | AnalysedWarning)[];
  readonly identity: number[];
}

interface FileContext {
  readonly file: string;
  readonly lc: LineCounter;
  readonly changes: SetterChange[];
  readonly warnings: SetterWarning[];
  readonly edits: Edit[];
  /** Block scalars rewritten: the output is re-read to prove each reads back as its new value. */
  readonly verify: { readonly offset: number; readonly value: string }[];
}

function warn(
  ctx: FileContext,
  code: SetterWarningCode,
  offset: number,
  detail: string,
  setter?: string,
): void {
  const { line, col } = ctx.lc.linePos(offset);
  const where = `${ctx.file || '<input>'}:${line}:${col}`;
  ctx.warnings.push({
    code,
    message: `[setters:apply] ${where}: ${detail}`,
    file: ctx.file,
    line,
    column: col,
    ...(setter === undefined ? {} : { setter }),
  });
}

function note(a: Analysing, code: SetterWarningCode, offset: number, detail: string, setter?: string): void {
  a.steps.push({ kind: 'warn', code, offset, detail, ...(setter === undefined ? {} : { setter }) });
}

const WHY: Partial<Record<SetterWarningCode, string>> = {
  'marker-on-key': 'marker belongs to a mapping key, which is never set (put it after the value)',
  'marker-on-alias': 'marker on an alias (*name) cannot be set; mark the anchored value instead',
  'marker-on-collection': 'marker belongs to a mapping or sequence, not to a scalar value',
  'marker-without-value': 'marker on a key that has no value',
  'marker-not-attached': 'marker is not attached to any value (blank line, document or end comment)',
};

/** Analyses one document's leaves: its marked values and the warnings that need no policy. */
function analyseDocument(ctx: Analysing, leaves: Leaf[], identity: (offset: number) => ObjectRef): void {
  const consumed = new Set<number>();
  const lineOf = (i: number): number => ctx.lc.linePos(leafOffset(leaves[i]!)).line;

  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    if (leaf.kind !== 'node') continue;
    if (leaf.node.source.includes('$') && /\$imagepolicy/i.test(leaf.node.source)) {
      note(
        ctx,
        'marker-in-scalar',
        leaf.node.offset,
        'marker text inside a scalar value is content, not a marker',
      );
    }
    if (leaf.role !== 'map-value' && leaf.role !== 'seq-item') continue;

    // 1. The line comment: the next comment on the same line (a flow item may have a comma first).
    let lineComment: number | undefined;
    for (let k = i + 1; k < leaves.length; k++) {
      const l = leaves[k]!;
      if (isSrc(l, 'space', 'comma')) continue;
      if (isSrc(l, 'comment')) lineComment = k;
      break;
    }

    // 2. Back to the indicator: comments between it and the value (value on a later line).
    let k = i - 1;
    let sawNewline = false;
    const between: number[] = [];
    while (k >= 0 && isSrc(leaves[k], 'space', 'newline', 'comment', 'anchor', 'tag')) {
      const t = (leaves[k] as SrcLeaf).tok.type;
      if (t === 'newline') sawNewline = true;
      if (t === 'comment') between.unshift(k);
      k--;
    }
    const owner = leaves[k];
    const ownerType = owner?.kind === 'src' ? owner.tok.type : undefined;
    let keyLine: number | undefined;
    let head: number[] = [];
    if (ownerType === 'map-value-ind' || ownerType === 'seq-item-ind') {
      // (lines are looked up only when a comment may matter: most values have none)
      if (sawNewline) {
        const indLine = lineOf(k);
        keyLine = between.find((c) => lineOf(c) === indLine);
        head = contiguousAbove(
          between.filter((c) => lineOf(c) !== indLine),
          lineOf(i),
          lineOf,
        );
      }
      if (head.length === 0 && ownerType === 'seq-item-ind' && !leaf.inFlow) {
        // Comment lines directly above the `- ` of a scalar item: its head comment.
        const above: number[] = [];
        let p = k - 1;
        // (the first item's comments sit in the parent's tokens, before the sequence starts)
        while (p >= 0 && (leaves[p]!.kind === 'coll' || isSrc(leaves[p], 'space', 'newline', 'comment'))) {
          if (isSrc(leaves[p], 'comment')) {
            let q = p - 1;
            while (q >= 0 && isSrc(leaves[q], 'space')) q--;
            if (q >= 0 && !isSrc(leaves[q], 'newline')) break; // a trailing comment of something else
            above.unshift(p);
          }
          p--;
        }
        if (above.length > 0) head = contiguousAbove(above, lineOf(k), lineOf);
      }
    }

    // Flux examines the first non-empty of (line comment, head comment); tidewatch then also
    // honours a comment on the `key:` line whose value starts on the next line.
    const candidates: { idx: number[]; text: string }[] = [];
    if (lineComment !== undefined)
      candidates.push({ idx: [lineComment], text: sourceOf(leaves, lineComment) });
    if (head.length > 0)
      candidates.push({ idx: head, text: head.map((h) => sourceOf(leaves, h)).join('\n') });
    if (keyLine !== undefined) candidates.push({ idx: [keyLine], text: sourceOf(leaves, keyLine) });
    const chosen = candidates[0];
    if (!chosen) continue;
    for (const c of candidates) for (const idx of c.idx) consumed.add(idx);
    for (const c of candidates.slice(1)) {
      if (looksLikeMarker(c.text)) {
        note(
          ctx,
          'marker-hidden',
          leafOffset(leaves[c.idx[c.idx.length - 1]!]!),
          'marker is ignored because another comment of the same value is read first (the line comment, then the comment above)',
        );
      }
    }
    const markerAt = leafOffset(leaves[chosen.idx[chosen.idx.length - 1]!]!);
    const parsed = parseMarker(chosen.text);
    if (parsed.kind === 'none') continue;
    if (parsed.kind === 'malformed') {
      const reason =
        chosen.idx.length > 1 ? 'a comment of several lines is not read as a marker' : parsed.reason;
      note(ctx, 'malformed-marker', markerAt, `malformed setter marker: ${reason}`);
      continue;
    }
    const setter = parsed.setter;
    if (leaf.node.type === 'alias') {
      note(ctx, 'marker-on-alias', markerAt, WHY['marker-on-alias']!, setter);
      continue;
    }
    const node = leaf.node;
    ctx.steps.push({
      kind: 'site',
      setter,
      markerAt,
      type: node.type as AnalysedSite['type'],
      start: node.offset,
      end: node.offset + node.source.length,
      value: CST.resolveAsScalar(node)?.value ?? '',
      inFlow: leaf.inFlow,
      ...(node.type === 'block-scalar' ? { block: blockScalarPlan(node) } : {}),
      object: identity(node.offset),
    });
  }

  // Markers nobody examined: say why they can never apply.
  for (let i = 0; i < leaves.length; i++) {
    if (consumed.has(i) || !isSrc(leaves[i], 'comment')) continue;
    const text = sourceOf(leaves, i);
    if (!looksLikeMarker(text)) continue;
    const code = classifyStray(leaves, i);
    const parsed = parseMarker(text);
    note(
      ctx,
      code,
      (leaves[i] as SrcLeaf).tok.offset,
      WHY[code]!,
      parsed.kind === 'marker' ? parsed.setter : undefined,
    );
  }
}

function sourceOf(leaves: Leaf[], i: number): string {
  return (leaves[i] as SrcLeaf).tok.source;
}

/** The run of comments on consecutive lines ending on the line just above `line`. */
function contiguousAbove(comments: number[], line: number, lineOf: (i: number) => number): number[] {
  const out: number[] = [];
  let want = line - 1;
  for (let j = comments.length - 1; j >= 0; j--) {
    const c = comments[j]!;
    if (lineOf(c) !== want) break;
    out.unshift(c);
    want--;
  }
  return out;
}

function itemValueCode(value: CST.Token | null | undefined): SetterWarningCode {
  if (!value) return 'marker-without-value';
  if (value.type === 'alias') return 'marker-on-alias';
  if (value.type === 'block-map' || value.type === 'block-seq' || value.type === 'flow-collection') {
    return 'marker-on-collection';
  }
  return 'marker-not-attached';
}

/** Why a marker-looking comment that no value examined can never apply. */
function classifyStray(leaves: Leaf[], i: number): SetterWarningCode {
  let p = i - 1;
  while (p >= 0 && isSrc(leaves[p], 'space')) p--;
  const prev = leaves[p];
  if (prev && !(prev.kind === 'src' && prev.tok.type === 'newline')) {
    // A trailing comment: it belongs to what precedes it on the line.
    if (prev.kind === 'node') {
      if (prev.node.type === 'alias') return 'marker-on-alias';
      if (prev.role === 'key') return 'marker-on-key';
      return 'marker-not-attached';
    }
    if (prev.kind === 'src') {
      const t = prev.tok.type;
      if (t === 'map-value-ind' || t === 'seq-item-ind') return itemValueCode(prev.itemValue);
      if (t === 'explicit-key-ind') return 'marker-on-key';
      if (t === 'flow-map-end' || t === 'flow-seq-end') return 'marker-on-collection';
      if (t !== 'anchor' && t !== 'tag') return 'marker-not-attached';
    }
  }
  // A comment on its own line: it belongs to what follows.
  let n = i + 1;
  // go-yaml gives a comment above a block collection to its first key or item.
  while (
    n < leaves.length &&
    (isSrc(leaves[n], 'space', 'newline', 'comment', 'anchor', 'tag') ||
      (leaves[n]!.kind === 'coll' && (leaves[n] as CollLeaf).node.type !== 'flow-collection'))
  ) {
    n++;
  }
  const next = leaves[n];
  if (!next) return 'marker-not-attached';
  if (next.kind === 'coll') return 'marker-on-collection';
  if (next.kind === 'node') {
    if (next.node.type === 'alias') return 'marker-on-alias';
    return next.role === 'key' ? 'marker-on-key' : 'marker-not-attached';
  }
  const t = next.tok.type;
  if (t === 'explicit-key-ind') return 'marker-on-key';
  if (t === 'seq-item-ind') return itemValueCode(next.itemValue);
  if (t === 'flow-map-start' || t === 'flow-seq-start') return 'marker-on-collection';
  return 'marker-not-attached';
}

/**
 * Whether `source[from, to)` may hold anything `processDocument` acts on. Every marker, near-miss
 * marker and marker-like scalar contains a `$` (`$imagepolicy`, `$ref`), a backslash (the same keys
 * written with JSON escapes) or `io.k8s.cli.setters.`; a document without any of them yields no
 * change and no warning, so its analysis is skipped (most documents of a multi-document file).
 */
function mayHoldMarker(source: string, from: number, to: number): boolean {
  const dollar = source.indexOf('$', from);
  if (dollar >= 0 && dollar < to) return true;
  const escape = source.indexOf('\\', from);
  if (escape >= 0 && escape < to) return true;
  const ref = source.indexOf('io.k8s.cli.setters.', from);
  return ref >= 0 && ref < to;
}

/** Re-reads the output and checks that each block scalar we rewrote reads back as its new value. */
function verifyBlockScalars(output: string, expected: ReadonlyMap<number, string>): boolean {
  const found = new Map<number, string>();
  const tokens = [...new YamlParser().parse(output)];
  if (firstComposeError(tokens)) return false;
  for (const t of tokens) {
    if (t.type !== 'document') continue;
    CST.visit(t, (item) => {
      const v = item.value;
      if (v?.type === 'block-scalar' && expected.has(v.offset))
        found.set(v.offset, CST.resolveAsScalar(v)?.value ?? '');
    });
  }
  for (const [offset, value] of expected) if (found.get(offset) !== value) return false;
  return true;
}

/** A line counter holding `lineStarts`. */
function lineCounter(lineStarts: readonly number[]): LineCounter {
  const lc = new LineCounter();
  for (const start of lineStarts) lc.addNewLine(start);
  return lc;
}

/**
 * Parses `source` and records everything the setter pass needs that does not depend on the
 * policies. Returns the tokens too, for the YAML validity check.
 */
export function analyse(source: string): { analysis: FileAnalysis; tokens: CST.Token[] } {
  const lc = new LineCounter();
  const a: Analysing = { lc, steps: [], identity: [] };
  const tokens = [...new YamlParser(lc.addNewLine).parse(source)];
  const done = (stopped: boolean): { analysis: FileAnalysis; tokens: CST.Token[] } => ({
    analysis: { steps: a.steps, stopped, lineStarts: lc.lineStarts, identity: a.identity },
    tokens,
  });

  // Comments before a document (or after `...`) are top-level tokens: they go with the next document.
  let pending: Leaf[] = [];
  let pendingFrom = -1;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (token.type !== 'document') {
      if (pendingFrom < 0) pendingFrom = token.offset;
      flatten(token, 'root', false, pending);
      continue;
    }
    const root = token.value;
    const docStart = token.start.find((t) => t.type === 'doc-start');
    const rootIsCollectionOrScalar =
      root &&
      (root.type === 'block-seq' ||
        CST.isScalar(root) ||
        (root.type === 'flow-collection' && root.start.source === '['));
    const onSeparatorLine =
      root && docStart && lc.linePos(root.offset).line === lc.linePos(docStart.offset).line;
    if (rootIsCollectionOrScalar || onSeparatorLine) {
      note(
        a,
        'unsupported-document',
        root.offset,
        rootIsCollectionOrScalar
          ? 'a document whose root is a sequence or a scalar makes Flux skip the whole file; skipped too'
          : 'content on a "---" line makes Flux skip the whole file; skipped too',
      );
      return done(true);
    }
    const leaves = pending;
    const from = pendingFrom < 0 ? token.offset : pendingFrom;
    pending = [];
    pendingFrom = -1;
    if (!mayHoldMarker(source, from, tokens[t + 1]?.offset ?? source.length)) continue;
    flatten(token, 'root', false, leaves);
    analyseDocument(a, leaves, identities(root, a.identity));
  }
  if (pending.length > 0) analyseDocument(a, pending, () => EMPTY_REF);
  return done(false);
}

/**
 * Flux skips files that are not valid YAML. Values are read from the CST, so the failsafe schema (no
 * type resolution) is enough; duplicate keys are allowed.
 */
function firstComposeError(tokens: readonly CST.Token[]): ComposeError | null {
  for (const doc of new Composer({ uniqueKeys: false, schema: 'failsafe' }).compose(tokens)) {
    const error = doc.errors[0];
    if (error) return { offset: error.pos[0], message: error.message.split('\n')[0] ?? '' };
  }
  return null;
}

/** What {@link applyAnalysis} gives: the result, and the analysis of the output when it can be derived. */
export interface AppliedAnalysis {
  readonly result: ApplySettersResult;
  /**
   * The analysis of `result.output`, derived from the input's without parsing, when the edits allow
   * it (one-line flow scalars replaced by one-line flow scalars, no object identity touched).
   */
  readonly next?: FileAnalysis;
}

/**
 * Replays an analysis against `lookup`: the same result as the full pass over the analysed text.
 * `tokens` are the text's tokens, for the validity check; without them, `undefined` is returned when
 * the outcome depends on a validity check not made yet (the caller then runs the full pass).
 */
export function applyAnalysis(
  source: string,
  analysis: FileAnalysis,
  lookup: SetterLookup,
  file: string,
  tokens?: readonly CST.Token[],
): AppliedAnalysis | undefined {
  const lc = lineCounter(analysis.lineStarts);
  const ctx: FileContext = { file, lc, changes: [], warnings: [], edits: [], verify: [] };
  /** The edited flow scalars, by step index. */
  const rewritten = new Map<number, Rewritten>();
  analysis.steps.forEach((step, index) => {
    if (step.kind === 'warn') {
      warn(ctx, step.code, step.offset, step.detail, step.setter);
      return;
    }
    const { setter, markerAt } = step;
    const resolved = lookup(setter);
    if (resolved.kind !== 'value') {
      warn(ctx, resolved.kind, markerAt, `setter "${setter}" cannot apply: ${resolved.reason}`, setter);
      return;
    }
    if (resolved.suffix === 'digest' && resolved.policy.digest === undefined) {
      warn(
        ctx,
        'digest-missing',
        markerAt,
        `policy of "${setter}" has no digest: the empty string is written, as Flux does`,
        setter,
      );
    }
    const oldValue = step.value;
    const newValue = resolved.value;
    if (oldValue === newValue) return;
    if (step.type === 'block-scalar') {
      ctx.edits.push(...blockScalarEdits(step.block ?? null, newValue));
      ctx.verify.push({ offset: step.start, value: newValue });
    } else {
      const text = renderFlowScalar(step.type, newValue, step.inFlow);
      ctx.edits.push({ start: step.start, end: step.end, text });
      rewritten.set(index, { text, value: newValue });
    }
    const { line, col } = lc.linePos(step.start);
    ctx.changes.push({
      file: ctx.file,
      line,
      column: col,
      setter,
      oldValue,
      newValue,
      object: step.object,
    });
  });
  const unchanged = (): AppliedAnalysis => ({
    result: { output: source, changes: [], warnings: ctx.warnings },
  });
  if (analysis.stopped) return unchanged();

  // Composing is as costly as parsing, so it runs only when the outcome depends on it: when the file
  // would change or has something to report.
  if (ctx.edits.length > 0 || ctx.warnings.length > 0) {
    if (analysis.invalid === undefined) {
      if (!tokens) return undefined;
      analysis.invalid = firstComposeError(tokens);
    }
    const error = analysis.invalid;
    if (error) {
      ctx.warnings.length = 0;
      warn(ctx, 'unparsable-file', error.offset, `not valid YAML, file skipped: ${error.message}`);
      return unchanged();
    }
  }

  ctx.warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  if (ctx.edits.length === 0)
    return { result: { output: source, changes: ctx.changes, warnings: ctx.warnings } };

  const edits = [...ctx.edits].sort((a, b) => a.start - b.start);
  let output = '';
  let at = 0;
  for (const e of edits) {
    output += source.slice(at, e.start) + e.text;
    at = e.end;
  }
  output += source.slice(at);
  if (ctx.verify.length > 0) {
    // Where each rewritten block scalar's header landed in the output.
    const shift = outputOffset(edits);
    const expected = new Map<number, string>();
    for (const v of ctx.verify) expected.set(shift(v.offset), v.value);
    if (!verifyBlockScalars(output, expected)) {
      warn(
        ctx,
        'unparsable-file',
        0,
        'a rewritten block scalar would not read back as its new value; file left unchanged',
      );
      return unchanged();
    }
    return { result: { output, changes: ctx.changes, warnings: ctx.warnings } };
  }
  const result = { output, changes: ctx.changes, warnings: ctx.warnings };
  const next = deriveAnalysis(source, analysis, edits, rewritten);
  return next ? { result, next } : { result };
}

/**
 * Where an offset of the input lands in the text `edits` (sorted by start, not overlapping) make of
 * it: shifted by every edit that starts before it (an offset at an edit's start stays).
 */
function outputOffset(edits: readonly Edit[]): (offset: number) => number {
  const deltas: number[] = [];
  let sum = 0;
  for (const e of edits) deltas.push((sum += e.text.length - (e.end - e.start)));
  return (offset) => {
    let lo = 0;
    let hi = edits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edits[mid]!.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? offset : offset + deltas[lo - 1]!;
  };
}

const LINE_BREAK = /[\r\n]/;

/** A flow scalar's new source and the value it was written for. */
interface Rewritten {
  readonly text: string;
  readonly value: string;
}

/**
 * The analysis of the text `edits` make of `source`, without parsing it, when every edit replaced a
 * one-line flow scalar with another (as `renderFlowScalar` writes them: they read back as the new
 * value in the same place, so every token keeps its kind and only offsets move) and no edit touched a
 * scalar an object identity was read from. `undefined` otherwise (the output is then parsed when met).
 */
function deriveAnalysis(
  source: string,
  analysis: FileAnalysis,
  edits: readonly Edit[],
  rewritten: ReadonlyMap<number, Rewritten>,
): FileAnalysis | undefined {
  for (const e of edits) {
    if (LINE_BREAK.test(e.text) || LINE_BREAK.test(source.slice(e.start, e.end))) return undefined;
    // A value that mentions the marker would be reported as marker text inside a scalar.
    if (e.text.includes('$')) return undefined;
    if (analysis.identity.includes(e.start)) return undefined;
  }
  const shift = outputOffset(edits);
  const steps: (AnalysedSite | AnalysedWarning)[] = [];
  for (let index = 0; index < analysis.steps.length; index++) {
    const step = analysis.steps[index]!;
    if (step.kind === 'warn') {
      steps.push({ ...step, offset: shift(step.offset) });
      continue;
    }
    const start = shift(step.start);
    const markerAt = shift(step.markerAt);
    const edit = rewritten.get(index);
    if (edit === undefined) {
      const moved: AnalysedSite = { ...step, start, end: shift(step.end), markerAt };
      const plan = step.block;
      if (plan) {
        const header = plan.header && {
          ...plan.header,
          start: shift(plan.header.start),
          end: shift(plan.header.end),
        };
        steps.push({ ...moved, block: { ...plan, header, contentStart: shift(plan.contentStart) } });
      } else {
        steps.push(moved);
      }
      continue;
    }
    const { text, value } = edit;
    const type = text.startsWith('"')
      ? 'double-quoted-scalar'
      : text.startsWith("'")
        ? 'single-quoted-scalar'
        : 'scalar';
    // Checked, not assumed: the new source reads back as the value it was written for.
    const scalar: CST.FlowScalar = { type, offset: start, indent: 0, source: text };
    if (CST.resolveAsScalar(scalar)?.value !== value) return undefined;
    steps.push({ ...step, type, start, end: start + text.length, value, markerAt });
  }
  return {
    steps,
    stopped: analysis.stopped,
    lineStarts: analysis.lineStarts.map(shift),
    identity: analysis.identity.map(shift),
    ...(analysis.invalid === undefined ? {} : { invalid: analysis.invalid }),
  };
}

/** What the setter pass gives for one text, with the analyses `updateFiles` may keep. */
export interface SetterPass {
  readonly result: ApplySettersResult;
  /** The analysis of the input, when it was parsed. */
  readonly analysis?: FileAnalysis;
  /** The analysis of the output, when it could be derived (see {@link applyAnalysis}). */
  readonly next?: FileAnalysis;
}

/**
 * The setter pass over one text, keeping its analyses. `shortcut: false` disables the "every marker
 * is already current" check (for tests).
 */
export function setterPass(source: string, lookup: SetterLookup, file: string, shortcut = true): SetterPass {
  if (!source.includes(MARKER_TOKEN)) return { result: { output: source, changes: [], warnings: [] } };
  if (shortcut && allMarkersCurrent(source, lookup))
    return { result: { output: source, changes: [], warnings: [] } };
  const { analysis, tokens } = analyse(source);
  const applied = applyAnalysis(source, analysis, lookup, file, tokens)!;
  return { ...applied, analysis };
}

/**
 * `applySetters` with an already validated lookup (used once per file by `updateFiles`).
 * `shortcut: false` disables the "every marker is already current" check (for tests).
 */
export function applyWithLookup(
  source: string,
  lookup: SetterLookup,
  file: string,
  shortcut = true,
): ApplySettersResult {
  return setterPass(source, lookup, file, shortcut).result;
}
