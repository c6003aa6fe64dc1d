/**
 * The manifest loader: reads Flux objects from a directory tree, a list of files or a string of
 * multi-document YAML, validates them per kind, applies Flux's defaults and indexes them.
 *
 * @packageDocumentation
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import { createLimiter } from './concurrency.js';
import type { ConfigProblem, ErrorCode } from './errors.js';
import { AbortError, ConfigError } from './errors.js';
import type { SkippedDocument, UnknownManifest } from './flux/object.js';
import { readDocument, readDocuments } from './flux/object.js';
import type { FluxKind, FluxKindMap, FluxObject } from './flux/types.js';

/** Options common to every way of loading manifests. */
export interface LoadManifestsCommonOptions {
  /**
   * Namespace given to objects that have none (Kubernetes' own default). A CLI may pass the
   * namespace a user would `kubectl apply -n` to.
   * @default 'default'
   */
  readonly namespace?: string;
  /** Cancels reading. */
  readonly signal?: AbortSignal;
}

/** Load every `*.yaml` / `*.yml` file under a directory (recursively). */
export interface LoadManifestsFromDirOptions extends LoadManifestsCommonOptions {
  /**
   * Root directory. Hidden directories (`.git`, …) and `node_modules` are skipped. A path to a
   * file loads that file.
   */
  readonly dir: string;
}

/** Load the given files, in the given order. */
export interface LoadManifestsFromFilesOptions extends LoadManifestsCommonOptions {
  /** File paths (any extension). */
  readonly files: readonly string[];
}

/** Load a string of one or more YAML documents. */
export interface LoadManifestsFromSourceOptions extends LoadManifestsCommonOptions {
  /** The YAML text. */
  readonly source: string;
  /**
   * Name used for this text in problems and in each object's `source.file`.
   * @default '<source>'
   */
  readonly file?: string;
}

/** Where to load manifests from. */
export type LoadManifestsOptions =
  LoadManifestsFromDirOptions | LoadManifestsFromFilesOptions | LoadManifestsFromSourceOptions;

/** The typed result of {@link loadManifests}. */
export interface ManifestIndex {
  /** Every modelled object, in file order then document order. */
  readonly objects: readonly FluxObject[];
  /** Objects by kind (every kind has a list, possibly empty). */
  readonly byKind: { readonly [K in FluxKind]: readonly FluxKindMap[K][] };
  /** Documents of kinds tidewatch does not model (reported, not an error). */
  readonly unknown: readonly UnknownManifest[];
  /** Documents that are not Kubernetes objects (no `apiVersion` and no `kind`, or not a mapping). */
  readonly skipped: readonly SkippedDocument[];
  /** Non-fatal findings: deprecated apiVersions and fields, YAML warnings. */
  readonly warnings: readonly ConfigProblem[];
  /** Files read, in order. */
  readonly files: readonly string[];
  /**
   * Looks an object up by kind, namespace and name.
   * @example `index.get('ImagePolicy', 'flux-system', 'coder')?.spec.policy`
   */
  get<K extends FluxKind>(kind: K, namespace: string, name: string): FluxKindMap[K] | undefined;
}

/**
 * The error {@link loadManifests} throws: a {@link ConfigError} listing every problem of every
 * file. Its code is `MANIFEST_READ` when every problem is a file that could not be read, else
 * `MANIFEST_PARSE`.
 */
export class ManifestError extends ConfigError {
  /** `MANIFEST_READ` (nothing could be read) or `MANIFEST_PARSE` (bad YAML or invalid objects). */
  override readonly code: Extract<ErrorCode, 'MANIFEST_READ' | 'MANIFEST_PARSE'>;

  constructor(
    problems: readonly ConfigProblem[],
    code: Extract<ErrorCode, 'MANIFEST_READ' | 'MANIFEST_PARSE'>,
    options: { readonly cause?: unknown } = {},
  ) {
    super('core:manifest', problems, options);
    this.code = code;
  }
}

const ALL_KINDS: readonly FluxKind[] = [
  'ImageRepository',
  'ImagePolicy',
  'ImageUpdateAutomation',
  'GitRepository',
  'HelmRepository',
  'Bucket',
  'Provider',
  'Alert',
  'Secret',
];

const YAML_FILE = /\.ya?ml$/;

/** Files of a tree, relative paths sorted by UTF-8 bytes (the same order on every machine). */
async function listYamlFiles(root: string, signal: AbortSignal | undefined): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    if (signal?.aborted) throw new AbortError('core:manifest', { cause: signal.reason });
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Symlinked directories are not followed (no cycles); hidden trees are not manifests.
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') await visit(path);
      } else if (YAML_FILE.test(entry.name) && !entry.name.startsWith('.')) {
        found.push(path);
      }
    }
  };
  await visit(root);
  const key = (p: string) => Buffer.from(relative(root, p).split(sep).join('/'), 'utf8');
  return found.sort((a, b) => Buffer.compare(key(a), key(b)));
}

/** Line (1-based) of the first line of `bytes` that is not valid UTF-8, or undefined. */
function firstInvalidUtf8Line(bytes: Buffer): number | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return undefined;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

interface FileText {
  readonly file: string;
  readonly text?: string;
  readonly problem?: ConfigProblem & { readonly read: boolean };
}

async function readText(file: string, signal: AbortSignal | undefined): Promise<FileText> {
  try {
    const info = await stat(file);
    // Never open FIFOs or devices: reading one could block forever.
    if (!info.isFile())
      return { file, problem: { path: '', file, line: 1, message: 'is not a regular file', read: true } };
    const bytes = await readFile(file, signal ? { signal } : {});
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
      return {
        file,
        problem: {
          path: '',
          file,
          line: lineAt(bytes, nul),
          message: 'is not a text file (it contains NUL bytes)',
          read: false,
        },
      };
    }
    try {
      // A fatal decoder rejects invalid UTF-8 (then find its line); it also drops a leading BOM.
      return { file, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      const line = firstInvalidUtf8Line(bytes) ?? 1;
      return { file, problem: { path: '', file, line, message: 'is not valid UTF-8 text', read: false } };
    }
  } catch (error) {
    if (signal?.aborted) throw new AbortError('core:manifest', { cause: signal.reason });
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { file, problem: { path: '', file, line: 1, message: `cannot be read (${code})`, read: true } };
  }
}

/** State shared while parsing many texts. */
interface LoadState {
  readonly namespace: string;
  readonly problems: ConfigProblem[];
  readonly readProblems: Set<ConfigProblem>;
  readonly warnings: ConfigProblem[];
  readonly objects: FluxObject[];
  readonly unknown: UnknownManifest[];
  readonly skipped: SkippedDocument[];
}

function parseText(state: LoadState, file: string, text: string): void {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  for (const doc of docs) {
    for (const warning of doc.warnings) {
      state.warnings.push({
        path: '',
        file,
        line: lineCounter.linePos(warning.pos[0]).line,
        message: warning.message,
      });
    }
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        // The parser's own message, without a source excerpt (it could show a secret).
        let message = `invalid YAML: ${error.message}`;
        if (error.message.startsWith('Block scalar header includes extra characters')) {
          message += ' (a value starting with ">" or "|" must be quoted, e.g. range: ">=1.0.0")';
        }
        state.problems.push({ path: '', file, line, column: col, message });
      }
      continue;
    }
    // A `List` gives one result per item, each with the item's line.
    const results = readDocuments({
      doc,
      lineCounter,
      file,
      namespace: state.namespace,
      problems: state.problems,
      warnings: state.warnings,
    });
    for (const result of results) {
      if (result.type === 'object') state.objects.push(result.object);
      else if (result.type === 'unknown') state.unknown.push(result.manifest);
      else if (result.type === 'skipped') state.skipped.push(result.skipped);
    }
  }
}

function buildIndex(state: LoadState, files: readonly string[]): ManifestIndex {
  const byKind = Object.fromEntries(ALL_KINDS.map((k) => [k, [] as FluxObject[]])) as Record<
    FluxKind,
    FluxObject[]
  >;
  const byKey = new Map<string, FluxObject>();
  for (const object of state.objects) {
    const k = `${object.kind}\u0000${object.metadata.namespace}\u0000${object.metadata.name}`;
    const first = byKey.get(k);
    if (first) {
      state.problems.push({
        path: 'metadata.name',
        file: object.source.file,
        line: object.source.line,
        message: `duplicate ${object.kind} ${object.metadata.namespace}/${object.metadata.name} (first defined at ${first.source.file}:${first.source.line})`,
      });
      continue;
    }
    byKey.set(k, object);
    byKind[object.kind].push(object);
  }
  return {
    objects: state.objects,
    byKind: byKind as ManifestIndex['byKind'],
    unknown: state.unknown,
    skipped: state.skipped,
    warnings: state.warnings,
    files,
    get<K extends FluxKind>(kind: K, namespace: string, name: string) {
      return byKey.get(`${kind}\u0000${namespace}\u0000${name}`) as FluxKindMap[K] | undefined;
    },
  };
}

/** Validates the options of {@link loadManifests} (for callers without types), all problems at once. */
function checkOptions(options: unknown): void {
  const problems: ConfigProblem[] = [];
  const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  const given = (['dir', 'files', 'source'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    problems.push({ path: '', message: 'give exactly one of dir, files or source' });
  }
  if (o.dir !== undefined && typeof o.dir !== 'string')
    problems.push({ path: 'dir', message: 'must be a string' });
  if (o.source !== undefined && typeof o.source !== 'string') {
    problems.push({ path: 'source', message: 'must be a string' });
  }
  if (o.files !== undefined && (!Array.isArray(o.files) || o.files.some((f) => typeof f !== 'string'))) {
    problems.push({ path: 'files', message: 'must be a list of strings' });
  }
  for (const k of ['file', 'namespace'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string')
      problems.push({ path: k, message: 'must be a string' });
  }
  if (problems.length > 0) throw new ConfigError('core:manifest', problems);
}

/**
 * Loads Flux objects from a directory tree (`*.yaml` and `*.yml`, recursively, in byte order of
 * their relative paths), a list of files, or a string of multi-document YAML.
 *
 * Every document is validated against its kind's schema for its apiVersion (required fields,
 * types, enums, duration patterns, unknown fields, Flux's CEL rules and tidewatch's conflict
 * rules) and gets Flux's defaults. Kinds tidewatch does not model are returned in `unknown`;
 * documents without `apiVersion` and `kind` in `skipped`. A `kind: List` document (what
 * `kubectl get -o yaml` writes), or a `<Kind>List` with `items` (what the API server returns), is
 * read item by item: each item is an object of its own whose problems and `source.line` are the
 * item's, and nested lists are flattened as kubectl does.
 *
 * @throws {@link ManifestError} (a {@link ConfigError}) listing **every** problem of every file, each
 *   with file and line: malformed YAML, binary or unreadable files, wrong types, unknown fields,
 *   invalid values, duplicate objects. Secret values never appear in it.
 * @throws {@link AbortError} when `signal` aborts.
 * @example
 * ```ts
 * const index = await loadManifests({ dir: './flux' });
 * for (const policy of index.byKind.ImagePolicy) console.log(policy.metadata.name, policy.spec.policy);
 * const repo = index.get('ImageRepository', 'flux-system', 'coder');
 * ```
 */
export async function loadManifests(options: LoadManifestsOptions): Promise<ManifestIndex> {
  checkOptions(options);
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('core:manifest', { cause: signal.reason });
  const state: LoadState = {
    namespace: options.namespace ?? 'default',
    problems: [],
    readProblems: new Set(),
    warnings: [],
    objects: [],
    unknown: [],
    skipped: [],
  };
  let files: string[];
  if ('source' in options) {
    const file = options.file ?? '<source>';
    files = [file];
    parseText(state, file, options.source.startsWith('\uFEFF') ? options.source.slice(1) : options.source);
  } else {
    if ('dir' in options) {
      try {
        // A file given as `dir` is read on its own.
        files = (await stat(options.dir)).isFile() ? [options.dir] : await listYamlFiles(options.dir, signal);
      } catch (error) {
        if (error instanceof AbortError) throw error;
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new ManifestError(
          [{ path: '', file: options.dir, message: `cannot read directory (${code})` }],
          'MANIFEST_READ',
          {
            cause: error,
          },
        );
      }
    } else {
      files = [...options.files];
    }
    const limit = createLimiter(8);
    const texts = await Promise.all(files.map((file) => limit(() => readText(file, signal))));
    for (const { file, text, problem } of texts) {
      if (problem) {
        const { read, ...plain } = problem;
        state.problems.push(plain);
        if (read) state.readProblems.add(plain);
      } else if (text !== undefined) {
        parseText(state, file, text);
      }
    }
  }
  const index = buildIndex(state, files);
  if (state.problems.length > 0) {
    const onlyRead = state.problems.every((p) => state.readProblems.has(p));
    throw new ManifestError(state.problems, onlyRead ? 'MANIFEST_READ' : 'MANIFEST_PARSE');
  }
  return index;
}

/** Options of {@link parseFluxObject}. */
export interface ParseFluxObjectOptions {
  /**
   * Namespace of an object without one.
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * Name used for the object in problems and in its `source.file`.
   * @default '<object>'
   */
  readonly file?: string;
}

/**
 * Validates one Flux object given as a plain value (for example built in code or parsed from
 * JSON) exactly as {@link loadManifests} validates a document, and returns it typed with Flux's
 * defaults applied. Values are taken as they are: no YAML 1.1 reading applies.
 *
 * @throws {@link ManifestError} listing every problem, or naming the kind when it is not one
 *   tidewatch models or is a `List` (which holds several objects: use {@link loadManifests}).
 * @example
 * ```ts
 * const policy = parseFluxObject({
 *   apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImagePolicy',
 *   metadata: { name: 'app', namespace: 'apps' },
 *   spec: { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=1.0.0' } } },
 * });
 * ```
 */
export function parseFluxObject(value: unknown, options: ParseFluxObjectOptions = {}): FluxObject {
  const file = options.file ?? '<object>';
  const problems: ConfigProblem[] = [];
  const result = readDocument({
    doc: new Document(value),
    lineCounter: undefined,
    file,
    namespace: options.namespace ?? 'default',
    problems,
    warnings: [],
  });
  if (result.type === 'object') return result.object;
  if (result.type === 'list') {
    problems.push({
      path: 'kind',
      file,
      message: `a ${result.kind} holds several objects and parseFluxObject reads one; load it with loadManifests({ source })`,
    });
  }
  if (result.type === 'unknown') {
    problems.push({
      path: 'kind',
      file,
      message: `${result.manifest.apiVersion} ${result.manifest.kind} is not a kind tidewatch models`,
    });
  } else if (result.type === 'skipped' || result.type === 'empty') {
    problems.push({ path: '', file, message: 'is not a Kubernetes object (no apiVersion and kind)' });
  }
  throw new ManifestError(problems, 'MANIFEST_PARSE');
}
