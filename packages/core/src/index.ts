/**
 * `@tidewatch/core`: the vocabulary and machinery every tidewatch package shares.
 *
 * @packageDocumentation
 */

// Errors
export {
  TidewatchError,
  ConfigError,
  HttpError,
  AbortError,
  isTidewatchError,
  formatConfigProblem,
} from './errors.js';
export type { ErrorCode, TidewatchErrorOptions, ConfigProblem, HttpErrorOptions } from './errors.js';

// Redaction
export {
  REDACTED,
  redactUrl,
  redactHeaders,
  redactText,
  isSecretHeader,
  isSecretParam,
  SecretRegistry,
} from './redact.js';

// Logging
export { silentLogger, createConsoleLogger } from './logger.js';
export type { Logger, LogFields, LogLevel, ConsoleLoggerOptions } from './logger.js';

// Concurrency
export { createLimiter, createKeyedLimiter, mapSettled } from './concurrency.js';
export type { Limiter, Settled, MapSettledOptions } from './concurrency.js';

// HTTP
export {
  createHttpClient,
  parseRetryAfter,
  defaultRetryOn,
  isIdempotentMethod,
  backoffDelay,
  DEFAULT_RETRY_STATUSES,
  TIDEWATCH_VERSION,
} from './http.js';
export type {
  HttpClient,
  HttpClientOptions,
  HttpRequest,
  HttpResponse,
  HttpTlsOptions,
  TlsMaterial,
  BackoffOptions,
} from './http.js';

// Plug-ins
export { defaultPluginContext } from './plugin.js';
export type { FetchLike, PluginContext, PluginDefinition } from './plugin.js';

// Regex
export { compileGoRegex, RegexError } from './regex.js';
export type { GoRegex, GoRegexMatch, CompileGoRegexOptions, RegexErrorOptions } from './regex.js';
