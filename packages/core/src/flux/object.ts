/**
 * Turns one YAML document (or one plain JS object) into a typed Flux object.
 *
 * @packageDocumentation
 */
import type { Document, LineCounter, Node } from 'yaml';
import { isMap, isScalar, isSeq } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { KIND_DEFINITIONS, splitApiVersion, warnDeprecatedVersion } from './kinds.js';
import { maskedRecord } from './mask.js';
import type { WalkContext } from './schema.js';
import { lineOf, report, walk, warn } from './schema.js';
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

/** The outcome of reading one document. */
export type DocumentResult =
  | { readonly type: 'object'; readonly object: FluxObject }
  | { readonly type: 'unknown'; readonly manifest: UnknownManifest }
  | { readonly type: 'skipped'; readonly skipped: SkippedDocument }
  | { readonly type: 'invalid' }
  | { readonly type: 'empty' };

/** What {@link readDocument} needs. */
export interface ReadDocumentOptions {
  readonly doc: Document.Parsed | Document;
  readonly lineCounter: LineCounter | undefined;
  readonly file: string;
  /** Namespace of objects without one. */
  readonly namespace: string;
  readonly problems: ConfigProblem[];
  readonly warnings: ConfigProblem[];
}

function scalarString(map: Node, field: string): { value: unknown; node: Node | undefined } {
  if (!isMap(map)) return { value: undefined, node: undefined };
  const node = map.get(field, true) as Node | undefined;
  return { value: isScalar(node) ? node.value : node === undefined ? undefined : node, node };
}

/** Reads one document. Problems are appended to `options.problems`. */
export function readDocument(options: ReadDocumentOptions): DocumentResult {
  const contents = options.doc.contents;
  const ctx: WalkContext = {
    doc: options.doc,
    lineCounter: options.lineCounter,
    file: options.file,
    fallbackLine: undefined,
    secret: false,
    problems: options.problems,
    warnings: options.warnings,
    lines: new Map(),
  };
  if (contents === null || (isScalar(contents) && contents.value === null)) return { type: 'empty' };
  const line = lineOf(ctx, contents) ?? 1;
  const source: ManifestSource = { file: options.file, line };
  if (!isMap(contents)) {
    const what = isSeq(contents) ? 'a list' : 'a scalar';
    return { type: 'skipped', skipped: { reason: `document is ${what}, not a Kubernetes object`, source } };
  }
  const apiVersion = scalarString(contents, 'apiVersion');
  const kind = scalarString(contents, 'kind');
  // Lines for problems and warnings raised before the schema walk records them.
  ctx.lines.set('', line);
  for (const [path, found] of [
    ['apiVersion', apiVersion],
    ['kind', kind],
  ] as const) {
    const at = lineOf(ctx, found.node);
    if (at !== undefined) ctx.lines.set(path, at);
  }
  if (apiVersion.node === undefined && kind.node === undefined) {
    return { type: 'skipped', skipped: { reason: 'document has no apiVersion and no kind', source } };
  }
  let bad = false;
  for (const [field, found] of [
    ['apiVersion', apiVersion],
    ['kind', kind],
  ] as const) {
    if (typeof found.value !== 'string' || found.value === '') {
      report(
        ctx,
        field,
        found.node === undefined ? 'is required' : 'must be a non-empty string',
        lineOf(ctx, found.node) ?? line,
      );
      bad = true;
    }
  }
  if (bad) return { type: 'invalid' };
  const apiVersionText = apiVersion.value as string;
  const kindText = kind.value as string;
  const { group, version } = splitApiVersion(apiVersionText);
  const def = Object.hasOwn(KIND_DEFINITIONS, kindText) ? KIND_DEFINITIONS[kindText as FluxKind] : undefined;
  if (def && def.group !== group) {
    // `kind: ImagePolicy` under another group is most likely a typo in apiVersion: say so.
    const expected = Object.keys(def.versions)
      .map((v) => (def.group ? `${def.group}/${v}` : v))
      .join(', ');
    warn(
      ctx,
      'apiVersion',
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
  const schema = def.versions[version];
  if (!schema) {
    const supported = Object.keys(def.versions)
      .map((v) => (group ? `${group}/${v}` : v))
      .join(', ');
    report(
      ctx,
      'apiVersion',
      `${apiVersionText} is not a supported version of ${kindText}; use ${supported}`,
      lineOf(ctx, apiVersion.node),
    );
    return { type: 'invalid' };
  }
  warnDeprecatedVersion(ctx, def, version);
  const before = options.problems.length;
  const walkCtx: WalkContext = def.kind === 'Secret' ? { ...ctx, secret: true } : ctx;
  const built = walk(walkCtx, contents, schema, '') as Record<string, unknown> | undefined;
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
            `${field}.${k}`,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
          );
        }
      }
    }
    if (options.problems.length > before) return { type: 'invalid' };
    const object = {
      apiVersion: apiVersionText,
      kind: 'Secret',
      metadata,
      type: built.type as string,
      data: maskedRecord((built.data as Record<string, string> | undefined) ?? {}),
      stringData: maskedRecord((built.stringData as Record<string, string> | undefined) ?? {}),
      immutable: built.immutable as boolean,
      keyLines: Object.fromEntries(
        [...ctx.lines].filter(([path]) => path.startsWith('data.') || path.startsWith('stringData.')),
      ),
      source,
    };
    return { type: 'object', object: object as FluxObject };
  }
  const spec = built.spec as Record<string, unknown>;
  def.rule?.(ctx, spec, 'spec');
  if (options.problems.length > before) return { type: 'invalid' };
  const object = { apiVersion: apiVersionText, kind: def.kind, metadata, spec, source };
  // The schema walk guarantees the shape described by the kind's interface.
  return { type: 'object', object: object as unknown as FluxObject };
}
