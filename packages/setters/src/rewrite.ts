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

function scalarText(token: CST.Token | null | undefined): string | undefined {
  if (!token || !CST.isScalar(token)) return undefined;
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

function objectRef(root: CST.Token | undefined): ObjectRef {
  if (!mapEntries(root)) return EMPTY_REF;
  const metadata = mapGet(root, 'metadata');
  return {
    apiVersion: scalarText(mapGet(root, 'apiVersion')) ?? '',
    kind: scalarText(mapGet(root, 'kind')) ?? '',
    name: scalarText(mapGet(metadata, 'name')) ?? '',
    namespace: scalarText(mapGet(metadata, 'namespace')) ?? '',
  };
}

/** Object identity by offset: the document's, or a `List` item's (Flux unwraps lists). */
function identities(root: CST.Token | undefined): (offset: number) => ObjectRef {
  const doc = objectRef(root);
  if (doc.kind !== 'List' && doc.kind !== 'ResourceList') return () => doc;
  const items = mapGet(root, 'items');
  const seq = items?.type === 'block-seq' || items?.type === 'flow-collection' ? items.items : [];
  const ranges = seq.filter((i) => i.value).map((i) => ({ start: i.value!.offset, ref: objectRef(i.value) }));
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

function blockScalarEdits(node: CST.BlockScalar, value: string): Edit[] {
  const header = node.props.find((t) => t.type === 'block-scalar-header') as CST.SourceToken | undefined;
  const last = node.props[node.props.length - 1] as CST.SourceToken | undefined;
  if (!header || !last) return [];
  const edits: Edit[] = [];
  const newHeader = stripChomping(header.source);
  if (newHeader !== header.source) {
    edits.push({ start: header.offset, end: header.offset + header.source.length, text: newHeader });
  }
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
  const text = value === '' ? '' : `${indent}${value}${eol}`;
  edits.push({ start: contentStart, end: contentStart + keepEnd, text });
  return edits;
}

interface FileContext {
  readonly file: string;
  readonly lc: LineCounter;
  readonly lookup: SetterLookup;
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

const WHY: Partial<Record<SetterWarningCode, string>> = {
  'marker-on-key': 'marker belongs to a mapping key, which is never set (put it after the value)',
  'marker-on-alias': 'marker on an alias (*name) cannot be set; mark the anchored value instead',
  'marker-on-collection': 'marker belongs to a mapping or sequence, not to a scalar value',
  'marker-without-value': 'marker on a key that has no value',
  'marker-not-attached': 'marker is not attached to any value (blank line, document or end comment)',
};

/** Processes one document's leaves: markers, changes, edits and warnings. */
function processDocument(ctx: FileContext, leaves: Leaf[], identity: (offset: number) => ObjectRef): void {
  const consumed = new Set<number>();
  const lineOf = (i: number): number => ctx.lc.linePos(leafOffset(leaves[i]!)).line;

  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    if (leaf.kind !== 'node') continue;
    if (leaf.node.source.includes('$') && /\$imagepolicy/i.test(leaf.node.source)) {
      warn(
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
        warn(
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
      warn(ctx, 'malformed-marker', markerAt, `malformed setter marker: ${reason}`);
      continue;
    }
    const setter = parsed.setter;
    if (leaf.node.type === 'alias') {
      warn(ctx, 'marker-on-alias', markerAt, WHY['marker-on-alias']!, setter);
      continue;
    }
    const resolved = ctx.lookup(setter);
    if (resolved.kind !== 'value') {
      warn(ctx, resolved.kind, markerAt, `setter "${setter}" cannot apply: ${resolved.reason}`, setter);
      continue;
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
    const node = leaf.node;
    const oldValue = CST.resolveAsScalar(node)?.value ?? '';
    const newValue = resolved.value;
    if (oldValue === newValue) continue;
    if (node.type === 'block-scalar') {
      ctx.edits.push(...blockScalarEdits(node, newValue));
      ctx.verify.push({ offset: node.offset, value: newValue });
    } else {
      ctx.edits.push({
        start: node.offset,
        end: node.offset + node.source.length,
        text: renderFlowScalar(node.type as 'scalar', newValue, leaf.inFlow),
      });
    }
    const { line, col } = ctx.lc.linePos(node.offset);
    ctx.changes.push({
      file: ctx.file,
      line,
      column: col,
      setter,
      oldValue,
      newValue,
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
    warn(
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
  for (const doc of new Composer({ uniqueKeys: false, schema: 'failsafe' }).compose(tokens))
    if (doc.errors.length > 0) return false;
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
  if (!source.includes(MARKER_TOKEN)) return { output: source, changes: [], warnings: [] };
  if (shortcut && allMarkersCurrent(source, lookup)) return { output: source, changes: [], warnings: [] };
  const lc = new LineCounter();
  const ctx: FileContext = { file, lc, lookup, changes: [], warnings: [], edits: [], verify: [] };
  const tokens = [...new YamlParser(lc.addNewLine).parse(source)];
  const unchanged = (): ApplySettersResult => ({ output: source, changes: [], warnings: ctx.warnings });

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
      warn(
        ctx,
        'unsupported-document',
        root.offset,
        rootIsCollectionOrScalar
          ? 'a document whose root is a sequence or a scalar makes Flux skip the whole file; skipped too'
          : 'content on a "---" line makes Flux skip the whole file; skipped too',
      );
      return unchanged();
    }
    const leaves = pending;
    const from = pendingFrom < 0 ? token.offset : pendingFrom;
    pending = [];
    pendingFrom = -1;
    if (!mayHoldMarker(source, from, tokens[t + 1]?.offset ?? source.length)) continue;
    flatten(token, 'root', false, leaves);
    processDocument(ctx, leaves, identities(root));
  }
  if (pending.length > 0) processDocument(ctx, pending, () => EMPTY_REF);

  // Flux skips files that are not valid YAML. Composing is as costly as parsing, so it runs only when
  // the outcome depends on it: when the file would change or has something to report. Values are read
  // from the CST, so the failsafe schema (no type resolution) is enough; duplicate keys are allowed.
  if (ctx.edits.length > 0 || ctx.warnings.length > 0) {
    for (const doc of new Composer({ uniqueKeys: false, schema: 'failsafe' }).compose(tokens)) {
      const error = doc.errors[0];
      if (error) {
        ctx.warnings.length = 0;
        warn(
          ctx,
          'unparsable-file',
          error.pos[0],
          `not valid YAML, file skipped: ${error.message.split('\n')[0]}`,
        );
        return unchanged();
      }
    }
  }

  ctx.warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  if (ctx.edits.length === 0) return { output: source, changes: ctx.changes, warnings: ctx.warnings };

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
    const expected = new Map<number, string>();
    for (const v of ctx.verify) {
      let delta = 0;
      for (const e of edits) if (e.start < v.offset) delta += e.text.length - (e.end - e.start);
      expected.set(v.offset + delta, v.value);
    }
    if (!verifyBlockScalars(output, expected)) {
      warn(
        ctx,
        'unparsable-file',
        0,
        'a rewritten block scalar would not read back as its new value; file left unchanged',
      );
      return { output: source, changes: [], warnings: ctx.warnings };
    }
  }
  return { output, changes: ctx.changes, warnings: ctx.warnings };
}
