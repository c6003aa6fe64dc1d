/**
 * The error vocabulary of tidewatch. Every error thrown by a tidewatch package is a
 * {@link TidewatchError} with a documented {@link TidewatchError.code | code} (see `docs/errors.md`).
 *
 * Messages follow `[package:engine] what failed: detail` and never contain secrets: URLs are
 * redacted with {@link redactUrl} before they reach a message.
 *
 * @packageDocumentation
 */
import { redactUrl } from './redact.js';

/**
 * Every error code a tidewatch package can throw. Each has a row in `docs/errors.md`.
 * Packages add their own codes here so that the list stays in one place.
 */
export type ErrorCode =
  // core
  | 'CONFIG_INVALID'
  | 'HTTP_STATUS'
  | 'HTTP_TIMEOUT'
  | 'HTTP_NETWORK'
  | 'HTTP_BODY_TOO_LARGE'
  | 'HTTP_INVALID_RESPONSE'
  | 'ABORTED'
  | 'MANIFEST_PARSE'
  | 'MANIFEST_READ'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_INVALID'
  | 'REGEX_INVALID'
  // policy
  | 'POLICY_INVALID'
  | 'POLICY_EVALUATION'
  // setters
  | 'SETTERS_IO'
  // registry
  | 'REGISTRY_REFERENCE_INVALID'
  | 'REGISTRY_AUTH'
  | 'REGISTRY_PROTOCOL'
  | 'REGISTRY_UNSAFE_URL'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_RATE_LIMITED'
  | 'CREDENTIAL_PROVIDER'
  // notify
  | 'NOTIFY_DELIVERY'
  | 'NOTIFY_UNSUPPORTED'
  | 'RECEIVER_REJECTED';

/** Options accepted by every tidewatch error constructor. */
export interface TidewatchErrorOptions {
  /** The underlying error or value that caused this one. Always set when there is one. */
  readonly cause?: unknown;
  /**
   * Whether repeating the same operation later may succeed (a remote host's 5xx, a timeout).
   * Our own bugs and invalid configuration are never retryable.
   * @default false
   */
  readonly retryable?: boolean;
}

/**
 * Base class of every error thrown by tidewatch.
 *
 * @example
 * ```ts
 * try { await scan(); } catch (err) {
 *   if (err instanceof TidewatchError && err.retryable) scheduleRetry();
 * }
 * ```
 */
export class TidewatchError extends Error {
  /** Stable, documented machine code (see `docs/errors.md`). */
  readonly code: ErrorCode;
  /** Whether a later retry of the same operation may succeed. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: TidewatchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** One problem found while validating a configuration or a manifest. */
export interface ConfigProblem {
  /** Dotted path of the offending field inside the object, e.g. `spec.policy.semver.range`. */
  readonly path: string;
  /** What is wrong, in plain words. */
  readonly message: string;
  /** The file the object came from, when it came from a file. */
  readonly file?: string;
  /** 1-based line in {@link file} (or in the source string). */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
}

/** Formats a problem as `file:line:col: path: message`, leaving out what is unknown. */
export function formatConfigProblem(problem: ConfigProblem): string {
  let where = '';
  if (problem.file !== undefined) where += problem.file;
  if (problem.line !== undefined) where += `${where ? ':' : 'line '}${problem.line}`;
  if (problem.line !== undefined && problem.column !== undefined) where += `:${problem.column}`;
  const path = problem.path ? `${problem.path}: ` : '';
  return `${where ? `${where}: ` : ''}${path}${problem.message}`;
}

/**
 * Invalid user configuration or manifest. Carries *every* problem found, not just the first,
 * so that a user can fix them all in one go.
 *
 * @example
 * ```ts
 * throw new ConfigError('core:manifest', [{ path: 'spec.image', message: 'is required', file: 'a.yaml', line: 3 }]);
 * // message: "[core:manifest] invalid configuration: a.yaml:3: spec.image: is required"
 * ```
 */
export class ConfigError extends TidewatchError {
  /** All problems found, in the order they were found. Never empty. */
  readonly problems: readonly ConfigProblem[];

  /**
   * @param scope - `package:engine` that validated the input, e.g. `registry:oci`.
   * @param problems - every problem found (at least one).
   */
  constructor(
    scope: string,
    problems: readonly ConfigProblem[],
    options: Omit<TidewatchErrorOptions, 'retryable'> = {},
  ) {
    const list = problems.length > 0 ? problems : [{ path: '', message: 'invalid configuration' }];
    const head =
      list.length === 1
        ? formatConfigProblem(list[0]!)
        : `${list.length} problems:\n  - ${list.map(formatConfigProblem).join('\n  - ')}`;
    super('CONFIG_INVALID', `[${scope}] invalid configuration: ${head}`, options);
    this.problems = list;
  }
}

/** What the {@link HttpError} constructor needs. */
export interface HttpErrorOptions extends TidewatchErrorOptions {
  /** `package:engine` that made the request, e.g. `registry:oci`. */
  readonly scope: string;
  /** The request URL. It is redacted before it is stored. */
  readonly url: string | URL;
  /** The request method. @default 'GET' */
  readonly method?: string;
  /** The HTTP status, when a response arrived. */
  readonly status?: number;
  /** The first bytes of the response body as text (already free of secrets), for diagnostics. */
  readonly body?: string;
  /** The error code. @default 'HTTP_STATUS' when a status is given, else 'HTTP_NETWORK' */
  readonly code?: Extract<ErrorCode, `HTTP_${string}`> | 'ABORTED';
  /** Detail appended to the message. */
  readonly detail?: string;
}

/**
 * A request to a remote host failed: a non-success status, a timeout, a network error, an
 * oversized or unreadable body. The URL is always redacted (no userinfo, no token parameters).
 */
export class HttpError extends TidewatchError {
  /** The HTTP status code, if a response was received. */
  readonly status: number | undefined;
  /** The request URL with credentials removed. */
  readonly url: string;
  /** The request method. */
  readonly method: string;
  /** A short excerpt of the response body, if any. */
  readonly body: string | undefined;

  constructor(options: HttpErrorOptions) {
    const url = redactUrl(options.url);
    const method = options.method ?? 'GET';
    const code = options.code ?? (options.status === undefined ? 'HTTP_NETWORK' : 'HTTP_STATUS');
    const what =
      options.status === undefined ? code.toLowerCase().replace(/_/g, ' ') : `status ${options.status}`;
    const detail = options.detail ? `: ${options.detail}` : '';
    super(code, `[${options.scope}] ${method} ${url} failed with ${what}${detail}`, options);
    this.status = options.status;
    this.url = url;
    this.method = method;
    this.body = options.body;
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class AbortError extends TidewatchError {
  constructor(scope: string, options: Omit<TidewatchErrorOptions, 'retryable'> = {}) {
    super('ABORTED', `[${scope}] operation aborted`, options);
  }
}

/** Type guard for {@link TidewatchError}, also across duplicated package copies. */
export function isTidewatchError(value: unknown): value is TidewatchError {
  return (
    value instanceof TidewatchError ||
    (value instanceof Error && typeof (value as { code?: unknown }).code === 'string' && 'retryable' in value)
  );
}
