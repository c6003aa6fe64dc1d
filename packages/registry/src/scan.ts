/**
 * The ImageRepository scan (`scanImageTags`, `scanImageRepositories`) and digest resolution
 * (`resolveDigest`), with Flux's results and texts.
 *
 * @packageDocumentation
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  ConfigError,
  HttpError,
  compileGoRegex,
  isTidewatchError,
  mapSettled,
  redactUrl,
} from '@tidewatch/core';
import type { ConfigProblem, GoRegex } from '@tidewatch/core';
import { RegistryContext } from './context.js';
import type { RegistryConnectionOptions } from './context.js';
import { RegistryError } from './errors.js';
import type { RateLimitInfo } from './errors.js';
import { parseImageReference, parseImageRepository } from './reference.js';
import type { ImageReference } from './reference.js';
import { summarizeTagPageSoon, tagThreadMode } from './page-summarizer.js';
import { revisionOf, sortTagsDescending } from './revision.js';
import type { RevisionFormat } from './revision.js';
import type { RegistrySession } from './session.js';
import type { TagPageSummary } from './page-summarizer.js';
import type { FluxCondition, FluxEvent, Platform } from './types.js';

const SCOPE = 'registry:oci';

/** Flux's default `exclusionList`: cosign signature tags. */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = ['^.*\\.sig$'];

/** The four manifest media types sent in `Accept` (index types first). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');
const INDEX_TYPES = new Set([MANIFEST_MEDIA_TYPES[0]!, MANIFEST_MEDIA_TYPES[2]!]);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGE_BYTES = 32 * 1024 * 1024;

/** What the previous scan of the same repository reported, for change detection. */
export interface PreviousScan {
  /** The previous `revision`. */
  readonly revision?: string;
  /** Whether the previous scan succeeded. @default true */
  readonly ready?: boolean;
}

/** Options of {@link scanImageTags}. */
export interface ScanImageTagsOptions extends RegistryConnectionOptions {
  /** The repository to scan, without tag, digest or scheme, e.g. `ghcr.io/org/app` or `nginx`. */
  readonly image: string;
  /**
   * Go RE2 patterns; tags matching any are dropped. An empty list means the default, as in Flux.
   * @default ['^.*\\.sig$']
   */
  readonly exclusionList?: readonly string[];
  /** `n` sent to `/tags/list`. @default 1000 */
  readonly pageSize?: number;
  /** Most pages followed; more are reported as `truncated: true`. @default 1000 */
  readonly maxPages?: number;
  /**
   * `adler32`: Flux's default (Badger) revision, a decimal Adler-32 of the JSON tag list;
   * `sha256`: Flux's `FluxStorage` revision, `sha256:<hex>`.
   * @default 'adler32'
   */
  readonly revisionFormat?: RevisionFormat;
  /** The previous scan, to compute `changed` and the events. */
  readonly previous?: PreviousScan;
}

/** The result of a scan, as Flux reports it in `status.lastScanResult`. */
export interface ImageScanResult {
  /** `status.canonicalImageName`, e.g. `index.docker.io/library/nginx`. */
  readonly canonicalImage: string;
  /** Every tag after exclusion, descending by UTF-8 bytes (Flux's stored order). */
  readonly tags: readonly string[];
  /** Number of tags after exclusion. */
  readonly tagCount: number;
  /** The first 10 of {@link tags}. */
  readonly latestTags: readonly string[];
  /** Checksum of the stored list (see `revisionFormat`). */
  readonly revision: string;
  /** Whether the page budget ran out before the last page. */
  readonly truncated: boolean;
  /** Pages read. */
  readonly pages: number;
  /** Docker Hub style rate-limit figures, when the registry sent them. */
  readonly rateLimit?: RateLimitInfo;
  /** When the scan finished. */
  readonly scanTime: Date;
  /** Whether `revision` differs from `previous.revision` (true without a previous scan). */
  readonly changed: boolean;
  /** Flux's Ready condition: `successful scan: found <n> tags with checksum <revision>`. */
  readonly condition: FluxCondition;
  /** The Normal `Succeeded` event Flux emits when the Ready message changes or Ready recovers. */
  readonly events: readonly FluxEvent[];
}

/** A compiled exclusion pattern. */
interface Exclusion {
  test(tag: string): boolean;
  /** Set for `^.*<literal>$`: the literal the tag must end with (and no newline). */
  readonly suffix?: string;
}

const LITERAL_SUFFIX = /^\^\.\*((?:[A-Za-z0-9_-]|\\[.+*?()[\]{}|^$\\/-])+)\$$/;

/**
 * Compiles an exclusion pattern. `^.*<literal>$` (the default `^.*\.sig$` and its kin) is
 * answered without the regex engine with the same meaning under Go's rules: the tag ends with the
 * literal and has no newline before it (`.` does not match `\n`, `$` is the end of the text).
 * Everything else runs on the RE2 engine.
 */
function compileExclusion(pattern: string): Exclusion {
  const re: GoRegex = compileGoRegex(pattern, { scope: SCOPE });
  const m = LITERAL_SUFFIX.exec(pattern);
  if (!m) return re;
  const literal = m[1]!.replace(/\\(.)/g, '$1');
  // The literal has no newline, so any newline would sit in the part `.*` must cover.
  return { test: (tag) => tag.endsWith(literal) && !tag.includes('\n'), suffix: literal };
}

interface ParsedScan {
  readonly ref: ImageReference;
  readonly exclusions: readonly Exclusion[];
  readonly pageSize: number;
  readonly maxPages: number;
  readonly revisionFormat: RevisionFormat;
  readonly insecure: boolean;
  /**
   * Whether a lone page goes to the tag-page summary thread (`page-summarizer.ts`): `null` when
   * not (`TIDEWATCH_TAG_THREAD=off`, a `sha256` revision, or exclusions other than one suffix),
   * else the thread's mode and the one excluded suffix's bytes (`undefined`: no exclusion).
   */
  readonly summary: { readonly mode: 'auto' | 'on'; readonly suffix: Uint8Array | undefined } | null;
}

function positiveInt(
  value: unknown,
  path: string,
  problems: ConfigProblem[],
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (
    value !== undefined &&
    !(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max)
  ) {
    problems.push({ path, message: `must be an integer from 1 to ${max}` });
  }
}

/** Validates scan options once, reporting every problem at once. */
function parseScan(
  options: ScanImageTagsOptions,
  problems: ConfigProblem[],
  prefix = '',
): ParsedScan | undefined {
  if (typeof options.image !== 'string' || options.image === '') {
    problems.push({ path: `${prefix}image`, message: 'is required' });
  }
  const exclusions: Exclusion[] = [];
  const list =
    options.exclusionList === undefined || options.exclusionList.length === 0
      ? DEFAULT_EXCLUSION_LIST
      : options.exclusionList;
  if (!Array.isArray(list))
    problems.push({ path: `${prefix}exclusionList`, message: 'must be an array of strings' });
  else {
    if (list.length > 25)
      problems.push({ path: `${prefix}exclusionList`, message: 'must have at most 25 entries' });
    list.forEach((pattern: unknown, i) => {
      if (typeof pattern !== 'string') {
        problems.push({ path: `${prefix}exclusionList[${i}]`, message: 'must be a string' });
        return;
      }
      try {
        exclusions.push(compileExclusion(pattern));
      } catch (err) {
        problems.push({
          path: `${prefix}exclusionList[${i}]`,
          message: `failed to compile regex ${pattern}: ${(err as { goMessage?: string }).goMessage ?? String(err)}`,
        });
      }
    });
  }
  positiveInt(options.pageSize, `${prefix}pageSize`, problems, 10_000);
  positiveInt(options.maxPages, `${prefix}maxPages`, problems);
  positiveInt(options.concurrencyPerRegistry, `${prefix}concurrencyPerRegistry`, problems);
  if (
    options.revisionFormat !== undefined &&
    options.revisionFormat !== 'adler32' &&
    options.revisionFormat !== 'sha256'
  ) {
    problems.push({ path: `${prefix}revisionFormat`, message: "must be 'adler32' or 'sha256'" });
  }
  if (options.insecure !== undefined && typeof options.insecure !== 'boolean') {
    problems.push({ path: `${prefix}insecure`, message: 'must be a boolean' });
  }
  if (problems.length > 0) return undefined;
  const ref = parseImageRepository(options.image);
  return {
    ref,
    exclusions,
    pageSize: options.pageSize ?? 1000,
    maxPages: options.maxPages ?? 1000,
    revisionFormat: options.revisionFormat ?? 'adler32',
    insecure: options.insecure ?? false,
    summary: summaryPlan(exclusions, options.revisionFormat ?? 'adler32'),
  };
}

function summaryPlan(exclusions: readonly Exclusion[], format: RevisionFormat): ParsedScan['summary'] {
  const mode = tagThreadMode();
  if (mode === 'off' || format !== 'adler32' || exclusions.length > 1) return null;
  if (exclusions.length === 0) return { mode, suffix: undefined };
  const suffix = exclusions[0]!.suffix;
  return suffix === undefined ? null : { mode, suffix: Buffer.from(suffix, 'latin1') };
}

/** Reads the `rel="next"` target of a `Link` header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  const re = /<([^>]*)>\s*((?:;\s*[^;,]*)*)/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

function allStrings(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  return true;
}

/**
 * The tag strings at `places` (offsets of each tag's first byte and closing quote) in `text`. The
 * page is ASCII, so byte offsets are string indices.
 */
function cutTags(text: string, places: Int32Array): string[] {
  const n = places.length >> 1;
  const tags = new Array<string>(n);
  for (let i = 0; i < n; i++) tags[i] = text.slice(places[2 * i], places[2 * i + 1]);
  return tags;
}

/** A JSON escape of a UTF-16 surrogate (`\uD800`-`\uDFFF`). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Lists every tag of a repository, following `Link` pages on the same origin. */
async function listTags(
  session: RegistrySession,
  ref: ImageReference,
  parsed: ParsedScan,
  signal: AbortSignal | undefined,
): Promise<{
  tags: string[];
  pages: number;
  truncated: boolean;
  newline: boolean;
  noSurrogates: boolean;
  plain: boolean;
  /**
   * The only page's summary, when its bytes were read by the summary thread (`page-summarizer.ts`).
   * With `places`, `tags` are already the kept tags in Flux's order, cut from the page there.
   */
  summary: TagPageSummary | undefined;
}> {
  const base = await session.base(signal);
  let pageSize = parsed.pageSize;
  let url = new URL(`/v2/${ref.repository}/tags/list?n=${pageSize}`, base);
  const seen = new Set<string>();
  let tags: string[] = [];
  const scopes = [`repository:${ref.repository}:pull`];
  let pages = 0;
  // Whether any tag may contain a newline (JSON writes it as \n or \u000a): almost never.
  let newline = false;
  // Whether no tag can hold a UTF-16 surrogate: the text is ASCII and has no \uD800-\uDFFF escape.
  let noSurrogates = true;
  // Whether every tag is one Go's JSON encoder writes as it is (see `revisionOf`): the text is ASCII
  // and holds no backslash (so no escape) and none of `<`, `>`, `&`.
  let plain = true;
  for (;;) {
    seen.add(url.href);
    const res = await session.request({
      url,
      scopes,
      repository: ref.repository,
      accept: 'application/json',
      maxBodyBytes: MAX_TAG_PAGE_BYTES,
      ...(signal ? { signal } : {}),
    });
    // ECR (and look-alikes) refuse n > 1000 with a 405; retry the first page with n=1000.
    if (
      res.status === 405 &&
      pages === 0 &&
      pageSize > 1000 &&
      /less than or equal to 1000/.test(res.text())
    ) {
      pageSize = 1000;
      url = new URL(url);
      url.searchParams.set('n', '1000');
      continue;
    }
    if (res.status < 200 || res.status >= 300)
      throw session.statusError(res, 'GET', url, `listing tags of ${ref.canonicalName}`);
    let body: unknown;
    const text = res.text();
    // A newline can only be written escaped, so text without any backslash holds none.
    const backslash = text.includes('\\');
    if (!newline && backslash && (text.includes('\\n') || /\\u000[aA]/.test(text))) newline = true;
    // Only non-ASCII bytes or a surrogate escape can decode to a surrogate. Two native scans: one
    // regex with both alternatives costs more than the per-tag check this replaces.
    const ascii = isAscii(res.body);
    if (noSurrogates && (!ascii || (text.includes('\\u') && SURROGATE_ESCAPE.test(text))))
      noSurrogates = false;
    const pagePlain =
      ascii && !backslash && !text.includes('<') && !text.includes('>') && !text.includes('&');
    if (!pagePlain) plain = false;
    const link = nextLink(res.headers.get('link'));
    // A lone plain page goes to the summary thread (`page-summarizer.ts`; its reading relies on
    // the page being plain). This thread goes on with other pages meanwhile. When the helper read
    // the page as the distribution form, the kept tags are cut from the text in Flux's order, and
    // nothing is parsed, filtered or sorted.
    let summary: TagPageSummary | undefined;
    const plan = parsed.summary;
    if (pages === 0 && link === undefined && pagePlain && plan !== null) {
      const answer = await summarizeTagPageSoon(res.body, plan.suffix, plan.mode)?.collect();
      if (answer?.places !== undefined) {
        const tags = cutTags(text, answer.places);
        return { tags, pages: 1, truncated: false, newline, noSurrogates, plain, summary: answer };
      } else summary = answer;
    }
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        SCOPE,
        `listing tags of ${ref.canonicalName} failed: ${redactUrl(url)} answered invalid JSON`,
        {
          cause: new Error(err instanceof Error ? err.message.slice(0, 200) : 'invalid JSON'),
          retryable: true,
        },
      );
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        SCOPE,
        `listing tags of ${ref.canonicalName} failed: ${redactUrl(url)} answered JSON that is not an object`,
      );
    }
    const page = (body as { tags?: unknown }).tags;
    // `"tags": null` (or no `tags`) is an empty repository; non-string entries are dropped.
    if (Array.isArray(page)) {
      if (tags.length === 0 && allStrings(page)) tags = page as string[];
      else for (const t of page as unknown[]) if (typeof t === 'string') tags.push(t);
    }
    pages++;
    if (link === undefined) return { tags, pages, truncated: false, newline, noSurrogates, plain, summary };
    let next: URL;
    try {
      next = new URL(link, res.url);
    } catch (err) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        SCOPE,
        `listing tags of ${ref.canonicalName} failed: the Link header is not a URL`,
        { cause: err },
      );
    }
    if (next.origin !== base.origin) {
      throw new RegistryError(
        'REGISTRY_UNSAFE_URL',
        SCOPE,
        `listing tags of ${ref.canonicalName} failed: pagination link to ${redactUrl(next.origin)} leaves the registry ${base.origin}; refused`,
      );
    }
    if (seen.has(next.href)) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        SCOPE,
        `listing tags of ${ref.canonicalName} failed: pagination loops back to ${redactUrl(next)}`,
      );
    }
    if (pages >= parsed.maxPages)
      return { tags, pages, truncated: true, newline, noSurrogates, plain, summary: undefined };
    url = next;
  }
}

/**
 * Drops excluded tags in place (no copy of a list that may hold many thousands) and returns how
 * many are kept. `newline`: whether any tag may hold a newline (then the suffix shortcut, which
 * assumes none, is not taken).
 */
function dropExcluded(tags: string[], exclusions: readonly Exclusion[], newline: boolean): number {
  let kept = 0;
  const suffixes = newline ? undefined : exclusions.map((e) => e.suffix);
  if (suffixes?.length === 1 && suffixes[0] !== undefined) {
    // The default list, on tags without newlines: a plain suffix test.
    const suffix = suffixes[0];
    // The last character first (inlined), the full suffix only when it matches.
    const last = suffix.charCodeAt(suffix.length - 1);
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i]!;
      if (t.charCodeAt(t.length - 1) !== last || !t.endsWith(suffix)) tags[kept++] = t;
    }
  } else {
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i]!;
      let excluded = false;
      for (let j = 0; j < exclusions.length && !excluded; j++) excluded = exclusions[j]!.test(t);
      if (!excluded) tags[kept++] = t;
    }
  }
  tags.length = kept;
  return kept;
}

async function scanWith(
  ctx: RegistryContext,
  options: ScanImageTagsOptions,
  parsed: ParsedScan,
  signal: AbortSignal | undefined,
): Promise<ImageScanResult> {
  const { ref } = parsed;
  const session = ctx.session(ref.registry, options.auth, parsed.insecure);
  const listed = await listTags(session, ref, parsed, signal);
  const tags = listed.tags;
  let revision: string;
  const summary = listed.summary;
  if (summary?.places !== undefined) {
    // Cut from the page at the summary's places: the kept tags in Flux's order (read so from a page
    // in byte order, or sorted by the helper from one out of it), and the helper's revision.
    revision = String(summary.adler32);
  } else {
    const listedCount = tags.length;
    const kept = dropExcluded(tags, parsed.exclusions, listed.newline);
    if (summary?.ordered === true && summary.count === listedCount && summary.kept === kept) {
      // The page's bytes held these tags in ascending byte order (`tag-page.wat`).
      tags.reverse();
      revision = String(summary.adler32);
    } else {
      sortTagsDescending(tags, listed.noSurrogates);
      revision = revisionOf(tags, parsed.revisionFormat, listed.plain);
    }
  }
  const message = `successful scan: found ${tags.length} tags with checksum ${revision}`;
  const previous = options.previous;
  const changed = previous?.revision !== revision;
  const emit = previous === undefined || previous.ready === false || changed;
  return {
    canonicalImage: ref.canonicalName,
    tags,
    tagCount: tags.length,
    latestTags: tags.slice(0, 10),
    revision,
    truncated: listed.truncated,
    pages: listed.pages,
    ...(session.rateLimit ? { rateLimit: session.rateLimit } : {}),
    scanTime: new Date(ctx.now()),
    changed,
    condition: { type: 'Ready', status: 'True', reason: 'Succeeded', message },
    events: emit ? [{ type: 'Normal', reason: 'Succeeded', message }] : [],
  };
}

/**
 * Scans an image repository as Flux's ImageRepository does: lists every tag (following `Link`
 * pages), drops those matching the exclusion list, sorts the rest descending by bytes and
 * computes the revision.
 *
 * @throws {@link ConfigError} for invalid options (every problem at once);
 *   {@link RegistryError} (`REGISTRY_REFERENCE_INVALID`, `REGISTRY_AUTH`, `REGISTRY_NOT_FOUND`,
 *   `REGISTRY_RATE_LIMITED`, `REGISTRY_PROTOCOL`, `REGISTRY_UNSAFE_URL`, `CREDENTIAL_PROVIDER`);
 *   `HttpError` for transport failures; `AbortError` when `signal` aborts.
 *
 * @example
 * ```ts
 * const scan = await scanImageTags({ image: 'ghcr.io/fluxcd/source-controller' });
 * console.log(scan.tagCount, scan.latestTags, scan.revision);
 * ```
 */
export async function scanImageTags(options: ScanImageTagsOptions): Promise<ImageScanResult> {
  const problems: ConfigProblem[] = [];
  const parsed = parseScan(options, problems);
  if (!parsed) throw new ConfigError(SCOPE, problems);
  const ctx = new RegistryContext(options);
  return scanWith(ctx, options, parsed, options.signal);
}

/** One repository of {@link scanImageRepositories}: the image, or per-image settings. */
export type ImageScanInput =
  | string
  | Omit<
      ScanImageTagsOptions,
      | 'tls'
      | 'timeoutMs'
      | 'retries'
      | 'backoff'
      | 'maxRetryAfterMs'
      | 'concurrencyPerRegistry'
      | 'proxy'
      | 'logger'
      | 'fetch'
      | 'thread'
      | 'signal'
    >;

/** Options of {@link scanImageRepositories}: connection settings and defaults for every image. */
export interface ScanImageRepositoriesOptions extends Omit<ScanImageTagsOptions, 'image' | 'previous'> {
  /** Repositories scanned at once. @default 8 */
  readonly concurrency?: number;
}

/** The outcome of one repository of {@link scanImageRepositories}. */
export type ImageScanOutcome =
  | { readonly image: string; readonly ok: true; readonly result: ImageScanResult }
  | {
      readonly image: string;
      readonly ok: false;
      readonly error: unknown;
      /** Flux's Ready=False condition for this failure. */
      readonly condition: FluxCondition;
      /** The Warning event Flux emits. */
      readonly events: readonly FluxEvent[];
    };

/**
 * Flux's Ready=False condition for a failed scan: `ImageURLInvalid` for a bad image,
 * `AuthenticationFailed` (`failed to configure authentication options: …`) when credentials
 * could not be obtained, else `ReadOperationFailed` (`scan failed: …`).
 */
export function scanFailureCondition(error: unknown): FluxCondition {
  const text = (error instanceof Error ? error.message : String(error)).replace(/^\[[^\]]*\]\s*/, '');
  const code = isTidewatchError(error) ? error.code : undefined;
  if (code === 'REGISTRY_REFERENCE_INVALID')
    return { type: 'Ready', status: 'False', reason: 'ImageURLInvalid', message: text };
  if (code === 'CREDENTIAL_PROVIDER' || code === 'CONFIG_INVALID') {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'AuthenticationFailed',
      message: `failed to configure authentication options: ${text}`,
    };
  }
  return { type: 'Ready', status: 'False', reason: 'ReadOperationFailed', message: `scan failed: ${text}` };
}

/**
 * Scans many repositories with bounded concurrency over one keep-alive client (sessions, tokens
 * and a per-registry request limit are shared). One failure never stops the others: every input
 * gets an outcome, in input order.
 *
 * @throws {@link ConfigError} when the shared options are invalid (per-image problems become
 *   failed outcomes instead).
 *
 * @example
 * ```ts
 * const outcomes = await scanImageRepositories(['ghcr.io/org/a', 'ghcr.io/org/b'], { concurrency: 16 });
 * for (const o of outcomes) console.log(o.image, o.ok ? o.result.tagCount : o.condition.message);
 * ```
 */
export async function scanImageRepositories(
  list: readonly ImageScanInput[],
  options: ScanImageRepositoriesOptions = {},
): Promise<ImageScanOutcome[]> {
  const problems: ConfigProblem[] = [];
  positiveInt(options.concurrency, 'concurrency', problems);
  const shared = parseScan({ ...options, image: 'placeholder/image' }, problems);
  if (problems.length > 0 || !shared) throw new ConfigError(SCOPE, problems);
  const ctx = new RegistryContext(options);
  const { concurrency = 8, signal, ...defaults } = options;
  const settled = await mapSettled(
    list,
    async (input) => {
      if (typeof input === 'string' && input !== '') {
        // Only the image differs from the shared options, which were validated above: parse just
        // the reference and reuse the compiled exclusion list.
        const item: ScanImageTagsOptions = { ...defaults, image: input };
        return scanWith(ctx, item, { ...shared, ref: parseImageRepository(input) }, signal);
      }
      const item: ScanImageTagsOptions =
        typeof input === 'string' ? { ...defaults, image: input } : { ...defaults, ...input };
      const itemProblems: ConfigProblem[] = [];
      const parsed = parseScan(item, itemProblems);
      if (!parsed) throw new ConfigError(SCOPE, itemProblems);
      return scanWith(ctx, item, parsed, signal);
    },
    { concurrency, ...(signal ? { signal } : {}) },
  );
  return settled.map((s) => {
    const image = typeof s.input === 'string' ? s.input : s.input.image;
    if (s.ok) return { image, ok: true, result: s.value };
    const condition = scanFailureCondition(s.error);
    return {
      image,
      ok: false,
      error: s.error,
      condition,
      events: [{ type: 'Warning', reason: condition.reason, message: condition.message }],
    };
  });
}

/** Options of {@link resolveDigest}. */
export interface ResolveDigestOptions extends RegistryConnectionOptions {
  /** The repository (a tag or digest in it is used when `tag` is absent). */
  readonly image: string;
  /** The tag to resolve. */
  readonly tag?: string;
  /** Pick this platform's manifest from a multi-arch index. */
  readonly platform?: Platform;
}

/** One manifest of a multi-arch index. */
export interface PlatformManifest extends Platform {
  /** Its digest. */
  readonly digest: string;
  /** Its media type. */
  readonly mediaType?: string;
}

/** The resolved digest of a tag. */
export interface ResolvedDigest {
  /** The descriptor digest (the index digest for multi-arch images), as Flux's `latestRef.digest`. */
  readonly digest: string;
  /** The manifest media type. */
  readonly mediaType: string;
  /** Manifest size in bytes, when known. */
  readonly size?: number;
  /** The digest of the requested platform's manifest (equals `digest` for a single-platform image). */
  readonly platformDigest?: string;
  /** Every platform of an index (only when the index body was fetched). */
  readonly platforms?: readonly PlatformManifest[];
  /** Docker Hub style rate-limit figures, when the registry sent them. */
  readonly rateLimit?: RateLimitInfo;
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

function parsePlatforms(body: unknown): PlatformManifest[] {
  const manifests = (body as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return [];
  const out: PlatformManifest[] = [];
  for (const m of manifests) {
    if (m === null || typeof m !== 'object') continue;
    const { digest, mediaType, platform } = m as {
      digest?: unknown;
      mediaType?: unknown;
      platform?: unknown;
    };
    if (typeof digest !== 'string' || platform === null || typeof platform !== 'object') continue;
    const p = platform as { os?: unknown; architecture?: unknown; variant?: unknown };
    if (typeof p.os !== 'string' || typeof p.architecture !== 'string') continue;
    out.push({
      digest,
      os: p.os,
      architecture: p.architecture,
      ...(typeof p.variant === 'string' ? { variant: p.variant } : {}),
      ...(typeof mediaType === 'string' ? { mediaType } : {}),
    });
  }
  return out;
}

/**
 * Resolves a tag to its manifest digest: `HEAD` with all four manifest media types in `Accept`
 * (a HEAD does not count as a Docker Hub pull), reading `Docker-Content-Digest`; falls back to
 * `GET` and the sha256 of the exact bytes when the header is missing. With `platform`, also picks
 * that platform's manifest digest from a multi-arch index.
 *
 * @throws {@link RegistryError} (`REGISTRY_NOT_FOUND` for an unknown tag or platform, and the
 *   codes of {@link scanImageTags}); `HttpError`; `AbortError`.
 *
 * @example
 * ```ts
 * const { digest } = await resolveDigest({ image: 'ghcr.io/org/app', tag: '1.2.3' });
 * ```
 */
export async function resolveDigest(options: ResolveDigestOptions): Promise<ResolvedDigest> {
  const problems: ConfigProblem[] = [];
  if (typeof options.image !== 'string' || options.image === '')
    problems.push({ path: 'image', message: 'is required' });
  if (
    options.tag !== undefined &&
    (typeof options.tag !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(options.tag))
  ) {
    problems.push({ path: 'tag', message: 'must be a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})' });
  }
  if (options.platform !== undefined) {
    const p = options.platform as Partial<Platform> | null;
    if (
      p === null ||
      typeof p !== 'object' ||
      typeof p.os !== 'string' ||
      typeof p.architecture !== 'string'
    ) {
      problems.push({ path: 'platform', message: 'must be { os, architecture, variant? }' });
    }
  }
  if (problems.length > 0) throw new ConfigError(SCOPE, problems);
  const ref = parseImageReference(options.image);
  const reference = options.tag ?? ref.tag ?? ref.digest;
  if (reference === undefined)
    throw new ConfigError(SCOPE, [{ path: 'tag', message: 'is required when the image has no tag' }]);
  const ctx = new RegistryContext(options);
  const session = ctx.session(ref.registry, options.auth, options.insecure ?? false);
  const base = await session.base(options.signal);
  const url = new URL(`/v2/${ref.repository}/manifests/${reference}`, base);
  const req = {
    url,
    scopes: [`repository:${ref.repository}:pull`],
    repository: ref.repository,
    accept: MANIFEST_ACCEPT,
    maxBodyBytes: MAX_MANIFEST_BYTES,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const what = `resolving the digest of ${ref.canonicalName}:${reference}`;
  const head = await session.request({ ...req, method: 'HEAD' });
  if (head.status < 200 || head.status >= 300) {
    if (head.status === 404) {
      throw new RegistryError('REGISTRY_NOT_FOUND', SCOPE, `${what} failed: manifest unknown`, {
        status: 404,
      });
    }
    throw session.statusError(head, 'HEAD', url, what);
  }
  const headerDigest = head.headers.get('docker-content-digest') ?? '';
  let digest = DIGEST.test(headerDigest) ? headerDigest : undefined;
  let mediaType = head.headers.get('content-type')?.split(';')[0]?.trim() || undefined;
  const length = Number(head.headers.get('content-length') ?? Number.NaN);
  let size = Number.isFinite(length) && length > 0 ? length : undefined;
  let platforms: PlatformManifest[] | undefined;
  const needBody = !digest || !mediaType || (options.platform !== undefined && INDEX_TYPES.has(mediaType));
  if (needBody) {
    const get = await session.request({ ...req, method: 'GET' });
    if (get.status < 200 || get.status >= 300) throw session.statusError(get, 'GET', url, what);
    // Hash the exact bytes received: re-serialised JSON would give another digest.
    digest ??= `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
    size = get.body.byteLength;
    let body: unknown;
    try {
      body = JSON.parse(get.text());
    } catch (err) {
      throw new RegistryError('REGISTRY_PROTOCOL', SCOPE, `${what} failed: the manifest is not valid JSON`, {
        cause: err,
      });
    }
    const bodyType = (body as { mediaType?: unknown } | null)?.mediaType;
    mediaType ??= typeof bodyType === 'string' ? bodyType : undefined;
    if (mediaType === undefined && Array.isArray((body as { manifests?: unknown } | null)?.manifests))
      mediaType = MANIFEST_MEDIA_TYPES[0];
    mediaType ??= MANIFEST_MEDIA_TYPES[1]!;
    if (INDEX_TYPES.has(mediaType)) platforms = parsePlatforms(body);
  }
  let platformDigest: string | undefined;
  if (options.platform) {
    const want = options.platform;
    if (platforms) {
      const hit = platforms.find(
        (p) =>
          p.os === want.os &&
          p.architecture === want.architecture &&
          (want.variant === undefined || p.variant === want.variant),
      );
      if (!hit) {
        const label = `${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''}`;
        throw new RegistryError(
          'REGISTRY_NOT_FOUND',
          SCOPE,
          `${what} failed: the index has no manifest for platform ${label}`,
        );
      }
      platformDigest = hit.digest;
    } else platformDigest = digest;
  }
  return {
    digest: digest!,
    mediaType: mediaType!,
    ...(size === undefined ? {} : { size }),
    ...(platformDigest === undefined ? {} : { platformDigest }),
    ...(platforms ? { platforms } : {}),
    ...(session.rateLimit ? { rateLimit: session.rateLimit } : {}),
  };
}

/** Re-exported for engines: whether an error came from the remote side and may pass with time. */
export function isRetryable(err: unknown): boolean {
  return (isTidewatchError(err) && err.retryable) || (err instanceof HttpError && err.retryable);
}
