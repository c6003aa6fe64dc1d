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
export { HTTP_THREAD_ENV } from './http-thread.js';
export { startPackageWorker } from './worker-entry.js';
export type { HttpThreadMode } from './http-thread.js';

// Plug-ins
export { defaultPluginContext } from './plugin.js';
export type { FetchLike, PluginContext, PluginDefinition } from './plugin.js';

// Regex
export { compileGoRegex, RegexError } from './regex.js';
export type { GoRegex, GoRegexMatch, CompileGoRegexOptions, RegexErrorOptions } from './regex.js';

// Flux objects
export { parseGoDuration, FLUX_INTERVAL_PATTERN, FLUX_TIMEOUT_PATTERN } from './flux/duration.js';
export { encodeEvent, formatEventTimestamp } from './flux/event.js';
export type { Event, EventInvolvedObject, EventSeverity } from './flux/event.js';
export type {
  AccessFrom,
  Alert,
  AlertEventSource,
  AlertEventSourceKind,
  AlertSpec,
  Bucket,
  BucketProvider,
  BucketSpec,
  CommitSpec,
  CrossNamespaceSourceReference,
  DigestReflectionPolicy,
  FluxKind,
  FluxKindMap,
  FluxObject,
  GitProvider,
  GitRef,
  GitRepository,
  GitRepositorySpec,
  GitSpec,
  GitVerificationMode,
  HelmRepository,
  HelmRepositorySpec,
  ImageApiVersion,
  ImagePolicy,
  ImagePolicyChoice,
  ImagePolicySpec,
  ImageRepository,
  ImageRepositoryProvider,
  ImageRepositorySpec,
  ImageUpdateAutomation,
  ImageUpdateAutomationSpec,
  LabelSelector,
  LocalObjectReference,
  ManifestSource,
  NamespacedObjectReference,
  NotificationApiVersion,
  ObjectMeta,
  PolicyOrder,
  Provider,
  ProviderSpec,
  ProviderType,
  PushSpec,
  SecretManifest,
  SourceApiVersion,
  TagFilter,
  UpdateStrategy,
} from './flux/types.js';

// Manifests
export { loadManifests, parseFluxObject, ManifestError } from './manifest.js';
export type {
  LoadManifestsOptions,
  LoadManifestsCommonOptions,
  LoadManifestsFromDirOptions,
  LoadManifestsFromFilesOptions,
  LoadManifestsFromSourceOptions,
  ManifestIndex,
  ParseFluxObjectOptions,
} from './manifest.js';
export type { UnknownManifest, SkippedDocument } from './flux/object.js';

// Secrets
export {
  createManifestSecretResolver,
  createEnvSecretResolver,
  createCallbackSecretResolver,
  createSecretResolverChain,
  envSecretSegment,
  SecretNotFoundError,
  SecretInvalidError,
  WELL_KNOWN_SECRET_KEYS,
} from './secrets.js';
export type {
  ResolvedSecret,
  SecretCallback,
  SecretGetOptions,
  SecretInput,
  SecretResolver,
  SecretResolverOptions,
  EnvSecretResolverOptions,
  ManifestSecretResolverOptions,
} from './secrets.js';
