/**
 * Public shapes of `@tidewatch/setters`: policy images, change records, warnings, options and results.
 *
 * @packageDocumentation
 */

/**
 * The "latest" image of one policy, as an ImagePolicy's `status.latestRef` holds it.
 *
 * @example
 * ```ts
 * const web: PolicyImage = { image: 'ghcr.io/acme/web', tag: '1.4.0' };
 * ```
 */
export interface PolicyImage {
  /** Registry and repository, without tag or digest, e.g. `ghcr.io/acme/web`. Written by `:name`. */
  readonly image: string;
  /** The selected tag (or chart version), e.g. `1.4.0`. Written by `:tag`. */
  readonly tag: string;
  /**
   * The manifest digest, e.g. `sha256:…`, when the policy reflects digests. Written by `:digest`
   * and appended as `@digest` by the bare marker.
   * @default undefined
   */
  readonly digest?: string;
}

/**
 * Looks up a policy by `"namespace:name"`. Returns `undefined` for a policy that does not exist or
 * has no latest image yet (both make every marker naming it an `unknown-policy` warning).
 */
export type PolicyResolver = (policy: string) => PolicyImage | undefined;

/**
 * The policies markers may name: a map (`Map` or plain object) from `"namespace:name"` to its
 * latest image, or a {@link PolicyResolver} function.
 */
export type Policies =
  ReadonlyMap<string, PolicyImage> | Readonly<Record<string, PolicyImage>> | PolicyResolver;

/**
 * The Kubernetes object (YAML document) a changed field lives in. Empty strings where the document
 * has no such field (a kustomization has no name, a Helm values file has nothing).
 */
export interface ObjectRef {
  /** `apiVersion` of the document, or `''`. */
  readonly apiVersion: string;
  /** `kind` of the document, or `''`. */
  readonly kind: string;
  /** `metadata.name`, or `''`. */
  readonly name: string;
  /** `metadata.namespace`, or `''`. */
  readonly namespace: string;
}

/** One field that changed (or, in a dry run, would change). */
export interface SetterChange {
  /** Path relative to the update root, forward slashes (`''` for {@link applySetters} without `file`). */
  readonly file: string;
  /** 1-based line of the changed scalar (for a block scalar: the line of its `|`/`>` header). */
  readonly line: number;
  /** 1-based column of the changed scalar. */
  readonly column: number;
  /** The setter exactly as written in the marker: `ns:name`, `ns:name:tag`, `ns:name:name` or `ns:name:digest`. */
  readonly setter: string;
  /** The value before, as YAML reads it (a block scalar's value keeps its final newline). */
  readonly oldValue: string;
  /** The value written. */
  readonly newValue: string;
  /** The document the field belongs to. */
  readonly object: ObjectRef;
}

/**
 * Why a marker, a file or a part of a file could not be honoured. See the package README for the
 * meaning of each code.
 */
export type SetterWarningCode =
  | 'unknown-policy'
  | 'malformed-marker'
  | 'unknown-suffix'
  | 'digest-missing'
  | 'marker-hidden'
  | 'marker-on-key'
  | 'marker-on-alias'
  | 'marker-on-collection'
  | 'marker-without-value'
  | 'marker-in-scalar'
  | 'marker-not-attached'
  | 'unparsable-file'
  | 'unsupported-document'
  | 'binary-file'
  | 'invalid-encoding'
  | 'file-too-large'
  | 'symlink-outside-root'
  | 'symlink-dangling'
  | 'file-changed'
  | 'read-failed'
  | 'write-failed';

/** Something that could not be honoured, with where it is. Never contains file contents beyond the marker. */
export interface SetterWarning {
  /** What kind of problem. */
  readonly code: SetterWarningCode;
  /** A sentence for humans, `file:line:column: …` included. */
  readonly message: string;
  /** Path relative to the update root, forward slashes. */
  readonly file: string;
  /** 1-based line (1 for file-level warnings). */
  readonly line: number;
  /** 1-based column (1 for file-level warnings). */
  readonly column: number;
  /** The setter named by the marker, when there is one. */
  readonly setter?: string;
}

/** Options of {@link applySetters}. */
export interface ApplySettersOptions {
  /**
   * The file name recorded in changes and warnings.
   * @default ''
   */
  readonly file?: string;
}

/** What {@link applySetters} returns. */
export interface ApplySettersResult {
  /** The new text: the input with only the changed scalars' bytes replaced (the input itself when nothing changed). */
  readonly output: string;
  /** Every change, in position order. */
  readonly changes: readonly SetterChange[];
  /** Every marker or document that could not be honoured, in position order. */
  readonly warnings: readonly SetterWarning[];
}

/** Options of {@link updateFiles}. */
export interface UpdateFilesOptions {
  /** The update root: a directory walked recursively (hidden directories included), or a single file. */
  readonly root: string;
  /** The policies markers may name. */
  readonly policies: Policies;
  /**
   * Compute changes and a unified diff without writing anything.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Stops the update between files; files already written stay written (each write is atomic). */
  readonly signal?: AbortSignal;
  /**
   * The most worker threads that parse files besides the main thread; `0` parses on the main thread
   * only. Threads are used only when `policies` is a map or object (a resolver function cannot be
   * sent to a thread) and a run has at least 32 marked files; they are started and warmed at the end
   * of such a run and used from the next run of the process on (see the README, decision 19). The
   * results are the same either way.
   * @default the number of available cores, at most 4 (none on a single core)
   */
  readonly threads?: number;
  /**
   * Remember, for the life of the process, what the setter pass learnt from each marked file's text
   * and from each text it wrote, keyed by the whole text, so that a later run meeting the same text
   * replays that analysis against its policies instead of parsing the file again (README, decision
   * 21). The results are the same either way; `false` neither reads nor fills the cache. The cache
   * holds at most 16 M characters of text, oldest first out.
   * @default true
   */
  readonly cache?: boolean;
}

/** What {@link updateFiles} returns. */
export interface UpdateFilesResult {
  /** Every change written (or, in a dry run, that would be written), in file then position order. */
  readonly changes: readonly SetterChange[];
  /** Every warning, in file then position order. */
  readonly warnings: readonly SetterWarning[];
  /** A unified diff of every file that would change (dry run only; `''` when nothing would change). */
  readonly diff?: string;
  /** Files written (or, in a dry run, that would be written), relative to the root, forward slashes, in walk order. */
  readonly filesChanged: readonly string[];
}
