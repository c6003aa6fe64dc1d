/**
 * Turns one YAML document (or one plain JS object) into a typed Flux object.
 *
 * @packageDocumentation
 */
import type { Document, LineCounter, Node, YAMLMap } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { KIND_DEFINITIONS, splitApiVersion, warnDeprecatedVersion } from './kinds.js';
import { maskedRecord } from './mask.js';
import type { ObjectSchema, WalkContext } from './schema.js';
import { describe, lineOf, report, walk, warn } from './schema.js';
import type { FluxKind, FluxObject, ManifestSource } from './types.js';

/** Kubernetes' rule for Secret and ConfigMap keys. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** A document whose kind tidewatch does not model (Kustomization, HelmRelease, Deployment, …). */
export interface UnknownManifest {
  /** `apiVersion` as written. */
  readonly apiVersion: string;
  /** `kind` as written. */
  readonly kind: string;
  /** `metadata.name`, when it is a string. */
  readonly name?: string;
  /** `metadata.namespace`, when it is a string (no default applied). */
  readonly namespace?: string;
  /** Where it was read from. */
  readonly source: ManifestSource;
}

/** A document that is not a Kubernetes object at all (no `apiVersion` and no `kind`). */
export interface SkippedDocument {
  /** Why it was skipped. */
  readonly reason: string;
  /** Where it was read from. */
  readonly source: ManifestSource;
}

/** The outcome of reading one document, or one item of a `List`. */
export type DocumentResult =
  | { readonly type: 'object'; readonly object: FluxObject }
  | { readonly type: 'unknown'; readonly manifest: UnknownManifest }
  | { readonly type: 'skipped'; readonly skipped: SkippedDocument }
  | { readonly type: 'invalid' }
  | { readonly type: 'empty' }
  /** A `List` document left unread because {@link ReadDocumentOptions.lists} is false. */
  | { readonly type: 'list'; readonly kind: string };

/** What {@link readDocuments} needs. */
export interface ReadDocumentOptions {
  readonly doc: Document.Parsed | Document;
  readonly lineCounter: LineCounter | undefined;
  readonly file: string;
  /** Namespace of objects without one. */
  readonly namespace: string;
  readonly problems: ConfigProblem[];
  readonly warnings: ConfigProblem[];
  /**
   * Whether a `List` (or `<Kind>List`) document is read item by item. When false it gives one
   * `{ type: 'list' }` result and nothing else.
   * @default true
   */
  readonly lists?: boolean;
}

/** `apiVersion` and `kind` a typed list (`ImageRepositoryList`) gives items that have neither. */
interface TypeMeta {
  readonly apiVersion: string;
  readonly kind: string;
}

/** The fields of a List wrapper; others are ignored with a warning (`item:` for `items:` would load nothing). */
const LIST_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'items']);

function scalarString(map: Node, field: string): { value: unknown; node: Node | undefined } {
  if (!isMap(map)) return { value: undefined, node: undefined };
  const node = map.get(field, true) as Node | undefined;
  return { value: isScalar(node) ? node.value : node === undefined ? undefined : node, node };
}

/** Joins a base path (`''` or `items[2]`) and a path relative to the object. */
function under(base: string, path: string): string {
  if (base === '') return path;
  return path === '' ? base : `${base}.${path}`;
}

/**
 * Whether a document is a list to unwrap: `kind: List` always (`items` missing or null is an empty
 * list), `<Kind>List` (what the API server returns, e.g. `ImageRepositoryList`) when it has `items`,
 * as Kubernetes' unstructured decoder decides. No kind tidewatch models ends in `List`.
 */
function isListKind(kind: string, map: Node): boolean {
  if (kind === 'List') return true;
  return kind.length > 4 && kind.endsWith('List') && isMap(map) && map.has('items');
}

/** The schema of an object whose `apiVersion` and `kind` come from its typed list. */
const inheritedSchemas = new WeakMap<ObjectSchema, ObjectSchema>();
function withoutTypeMeta(schema: ObjectSchema): ObjectSchema {
  let found = inheritedSchemas.get(schema);
  if (!found) {
    found = {
      ...schema,
      fields: { ...schema.fields, apiVersion: { type: 'string' }, kind: { type: 'string' } },
    };
    inheritedSchemas.set(schema, found);
  }
  return found;
}

/** One reading of one document: the document's options plus where results go. */
interface Reader {
  readonly options: ReadDocumentOptions;
  readonly out: DocumentResult[];
  /** Mappings being read (an alias can make a List contain itself). */
  readonly open: Set<Node>;
}

function contextFor(options: ReadDocumentOptions): WalkContext {
  return {
    doc: options.doc,
    lineCounter: options.lineCounter,
    file: options.file,
    fallbackLine: undefined,
    secret: false,
    problems: options.problems,
    warnings: options.warnings,
    lines: new Map(),
  };
}

function resolveAlias(doc: Document.Parsed | Document, node: unknown): Node | undefined {
  let current = node;
  for (let depth = 0; isAlias(current) && depth < 32; depth++) current = current.resolve(doc);
  return (current ?? undefined) as Node | undefined;
}

/**
 * Reads one document. A `List` or `<Kind>List` gives one result per item (nested lists are
 * flattened, as kubectl does); any other document gives one result. Problems and warnings are
 * appended to `options.problems` / `options.warnings`, each with the line of the object or item.
 */
export function readDocuments(options: ReadDocumentOptions): DocumentResult[] {
  const contents = options.doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return [{ type: 'empty' }];
  const reader: Reader = { options, out: [], open: new Set() };
  readNode(reader, contents, '', undefined);
  return reader.out;
}

/** Reads one document that holds one object (a List gives its first result; prefer {@link readDocuments}). */
export function readDocument(options: ReadDocumentOptions): DocumentResult {
  return readDocuments({ ...options, lists: false })[0] ?? { type: 'empty' };
}

/** Reads the object (or List) at `node`; `base` is `''` for a document, `items[i]` (…) for an item. */
function readNode(
  reader: Reader,
  node: Node,
  base: string,
  inherited: TypeMeta | undefined,
  itemLine?: number,
): void {
  const { options, out } = reader;
  const ctx = contextFor(options);
  const at = (path: string) => under(base, path);
  // An item written as an alias (`- *repo`) is at the alias's line.
  const line = itemLine ?? lineOf(ctx, node) ?? 1;
  const source: ManifestSource = { file: options.file, line };
  ctx.lines.set('', line);
  ctx.lines.set(base, line);
  if (!isMap(node)) {
    const what = isSeq(node) ? 'a list' : 'a scalar';
    if (base === '') {
      out.push({
        type: 'skipped',
        skipped: { reason: `document is ${what}, not a Kubernetes object`, source },
      });
    } else {
      report(ctx, base, `must be a Kubernetes object (a mapping), got ${what}`, line);
      out.push({ type: 'invalid' });
    }
    return;
  }
  const apiVersion = scalarString(node, 'apiVersion');
  const kind = scalarString(node, 'kind');
  for (const [path, found] of [
    ['apiVersion', apiVersion],
    ['kind', kind],
  ] as const) {
    const fieldLine = lineOf(ctx, found.node);
    if (fieldLine !== undefined) ctx.lines.set(at(path), fieldLine);
  }
  let apiVersionText: string;
  let kindText: string;
  const fromList = apiVersion.node === undefined && kind.node === undefined && inherited !== undefined;
  if (fromList) {
    // A typed list's items may leave out apiVersion and kind: they are the list's (the kind without `List`).
    ({ apiVersion: apiVersionText, kind: kindText } = inherited);
  } else {
    if (apiVersion.node === undefined && kind.node === undefined) {
      if (base === '') {
        out.push({ type: 'skipped', skipped: { reason: 'document has no apiVersion and no kind', source } });
      } else {
        report(ctx, base, 'is not a Kubernetes object (no apiVersion and no kind)', line);
        out.push({ type: 'invalid' });
      }
      return;
    }
    let bad = false;
    for (const [field, found] of [
      ['apiVersion', apiVersion],
      ['kind', kind],
    ] as const) {
      if (typeof found.value !== 'string' || found.value === '') {
        report(
          ctx,
          at(field),
          found.node === undefined ? 'is required' : 'must be a non-empty string',
          lineOf(ctx, found.node) ?? line,
        );
        bad = true;
      }
    }
    if (bad) {
      out.push({ type: 'invalid' });
      return;
    }
    apiVersionText = apiVersion.value as string;
    kindText = kind.value as string;
  }
  if (isListKind(kindText, node)) {
    if (options.lists === false) out.push({ type: 'list', kind: kindText });
    else readList(reader, node, base, { apiVersion: apiVersionText, kind: kindText }, ctx);
    return;
  }
  const result = readObject(ctx, options, node, base, apiVersionText, kindText, fromList, source);
  out.push(result);
}

/** Reads the items of a List wrapper. */
function readList(reader: Reader, node: YAMLMap, base: string, list: TypeMeta, ctx: WalkContext): void {
  const at = (path: string) => under(base, path);
  if (reader.open.has(node)) {
    report(ctx, base, `${list.kind} contains itself (through an alias)`);
    reader.out.push({ type: 'invalid' });
    return;
  }
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const name = isScalar(keyNode) ? String(keyNode.value) : undefined;
    if (name !== undefined && !LIST_FIELDS.has(name)) {
      warn(
        ctx,
        at(name),
        `is not a field of a ${list.kind} (apiVersion, kind, metadata, items); ignored`,
        lineOf(ctx, keyNode),
      );
    }
  }
  const itemsKey = node.items.find((p) => isScalar(p.key) && p.key.value === 'items');
  const items = resolveAlias(reader.options.doc, itemsKey?.value);
  if (items === undefined || (isScalar(items) && items.value === null)) return;
  const itemsLine = lineOf(ctx, items) ?? lineOf(ctx, itemsKey?.key as Node | undefined);
  if (!isSeq(items)) {
    report(ctx, at('items'), `must be a list, got ${describe(ctx, items)}`, itemsLine);
    reader.out.push({ type: 'invalid' });
    return;
  }
  // Items of `<Kind>List` without apiVersion and kind are that kind (Kubernetes' unstructured
  // decoder does the same); those of a plain `List` must name theirs.
  const inherited =
    list.kind === 'List' ? undefined : { apiVersion: list.apiVersion, kind: list.kind.slice(0, -4) };
  reader.open.add(node);
  items.items.forEach((raw, i) => {
    const path = at(`items[${i}]`);
    const item = resolveAlias(reader.options.doc, raw);
    if (item === undefined || (isScalar(item) && item.value === null)) {
      report(ctx, path, 'must be a Kubernetes object, got null', lineOf(ctx, raw as Node) ?? itemsLine);
      reader.out.push({ type: 'invalid' });
      return;
    }
    readNode(reader, item, path, inherited, lineOf(ctx, raw as Node));
  });
  reader.open.delete(node);
}

/** Validates one object of a known or unknown kind. */
function readObject(
  ctx: WalkContext,
  options: ReadDocumentOptions,
  contents: YAMLMap,
  base: string,
  apiVersionText: string,
  kindText: string,
  fromList: boolean,
  source: ManifestSource,
): DocumentResult {
  const at = (path: string) => under(base, path);
  const { group, version } = splitApiVersion(apiVersionText);
  const def = Object.hasOwn(KIND_DEFINITIONS, kindText) ? KIND_DEFINITIONS[kindText as FluxKind] : undefined;
  if (def && def.group !== group) {
    // `kind: ImagePolicy` under another group is most likely a typo in apiVersion: say so.
    const expected = Object.keys(def.versions)
      .map((v) => (def.group ? `${def.group}/${v}` : v))
      .join(', ');
    warn(
      ctx,
      at('apiVersion'),
      `${apiVersionText} ${kindText} is not a Flux ${kindText} (${expected}); listed as unknown`,
    );
  }
  if (!def || def.group !== group) {
    const meta = contents.get('metadata', true);
    const name = isMap(meta) ? meta.get('name') : undefined;
    const namespace = isMap(meta) ? meta.get('namespace') : undefined;
    const manifest: { -readonly [K in keyof UnknownManifest]: UnknownManifest[K] } = {
      apiVersion: apiVersionText,
      kind: kindText,
      source,
    };
    if (typeof name === 'string') manifest.name = name;
    if (typeof namespace === 'string') manifest.namespace = namespace;
    return { type: 'unknown', manifest };
  }
  const declared = def.versions[version];
  if (!declared) {
    const supported = Object.keys(def.versions)
      .map((v) => (group ? `${group}/${v}` : v))
      .join(', ');
    report(
      ctx,
      at('apiVersion'),
      `${apiVersionText} is not a supported version of ${kindText}; use ${supported}`,
    );
    return { type: 'invalid' };
  }
  const schema = fromList ? withoutTypeMeta(declared) : declared;
  warnDeprecatedVersion(ctx, def, version, at('apiVersion'));
  const before = options.problems.length;
  const walkCtx: WalkContext = def.kind === 'Secret' ? { ...ctx, secret: true } : ctx;
  const built = walk(walkCtx, contents, schema, base) as Record<string, unknown> | undefined;
  if (!built || options.problems.length > before) return { type: 'invalid' };
  const meta = built.metadata as {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  const metadata = {
    name: meta.name,
    namespace: meta.namespace ?? options.namespace,
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
  };
  if (def.kind === 'Secret') {
    for (const field of ['data', 'stringData']) {
      for (const k of Object.keys((built[field] as Record<string, string> | undefined) ?? {})) {
        if (!SECRET_KEY.test(k)) {
          report(
            ctx,
            at(`${field}.${k}`),
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
          );
        }
      }
    }
    if (options.problems.length > before) return { type: 'invalid' };
    // Key lines relative to the Secret (`data.<key>`), wherever the Secret sits in its file.
    const prefix = base === '' ? '' : `${base}.`;
    const keyLines: Record<string, number> = {};
    for (const [path, keyLine] of ctx.lines) {
      if (!path.startsWith(prefix)) continue;
      const rel = path.slice(prefix.length);
      if (rel.startsWith('data.') || rel.startsWith('stringData.')) keyLines[rel] = keyLine;
    }
    const object = {
      apiVersion: apiVersionText,
      kind: 'Secret',
      metadata,
      type: built.type as string,
      data: maskedRecord((built.data as Record<string, string> | undefined) ?? {}),
      stringData: maskedRecord((built.stringData as Record<string, string> | undefined) ?? {}),
      immutable: built.immutable as boolean,
      keyLines,
      source,
    };
    return { type: 'object', object: object as FluxObject };
  }
  const spec = built.spec as Record<string, unknown>;
  def.rule?.(ctx, spec, at('spec'));
  if (options.problems.length > before) return { type: 'invalid' };
  const object = { apiVersion: apiVersionText, kind: def.kind, metadata, spec, source };
  // The schema walk guarantees the shape described by the kind's interface.
  return { type: 'object', object: object as unknown as FluxObject };
}
