/**
 * `@tidewatch/notify`: every Flux notification provider type, Alert matching, dispatch with
 * dedupe, and webhook receivers, sending exactly the requests Flux's notification-controller sends.
 *
 * @packageDocumentation
 */

// Sending
export { createNotifier, findNotifierDefinition } from './notifier.js';
export type { CreateNotifierOptions, NotifierHandle } from './notifier.js';

// Alerts and dispatch
export {
  matchAlert,
  validateAlert,
  cleanEventMetadata,
  excludeInternalMetadata,
  gateEvent,
  mergeMetadata,
  apiGroup,
  EVENT_GROUP,
} from './alert.js';
export type { LabelLookup, MatchAlertOptions, MergedMetadata } from './alert.js';
export { createDispatcher } from './dispatch.js';
export type { CreateDispatcherOptions, Delivery, DispatchResult, Dispatcher } from './dispatch.js';
export { createMemoryDedupeStore, dedupeKey } from './dedupe.js';
export type { DedupeStore, MemoryDedupeStoreOptions } from './dedupe.js';

// Receivers
export {
  verifyReceiver,
  parseReceiverSpec,
  validateReceiver,
  receiverPath,
  checkSignature,
  safeEqual,
  RECEIVER_TYPES,
  MAX_RECEIVER_BODY,
  DEFAULT_RESOURCE_API_VERSIONS,
} from './receivers/index.js';
export type {
  IncomingWebhook,
  ReceiverResource,
  ReceiverSpec,
  ReceiverType,
  VerifiedWebhook,
  VerifyReceiverOptions,
} from './receivers/index.js';
export { createReceiverHandler, RECONCILE_REQUEST_ANNOTATION } from './receivers/handler.js';
export type {
  CreateReceiverHandlerOptions,
  ObjectQuery,
  ReceiverHandler,
  ReceiverHookEvent,
  ReconcileObject,
  ReconcileRequest,
} from './receivers/handler.js';
export { createOidcDiscovery, verifyOidcRequest, DEFAULT_OIDC_AUDIENCE } from './receivers/oidc.js';
export type {
  OidcDiscoveredProvider,
  OidcDiscovery,
  OidcDiscoveryOptions,
  OidcProviderSpec,
  OidcValidation,
  OidcVariable,
  VerifyOidcRequestOptions,
} from './receivers/oidc.js';
export { verifyGoogleIdToken, GOOGLE_CERTS_URL } from './receivers/gcr.js';
export type { JsonWebKeySet, VerifyGoogleIdTokenOptions } from './receivers/gcr.js';

// Provider plug-ins
export {
  defineNotifier,
  parseProviderConfig,
  parseProviderTimeout,
  postJson,
  requireUrl,
  requireValue,
} from './provider.js';
export type {
  DefineNotifierInput,
  Notifier,
  NotifierCapabilities,
  NotifierContext,
  NotifierDefinition,
  NotifierGate,
  NotifierTls,
  NotifierTransport,
  NotifyRequest,
  NotifyResponse,
  NotifyTransport,
  ProviderConfig,
} from './provider.js';
export { notifierDefinitions } from './providers/index.js';
export { createNotifyTransport, isRetriedStatus } from './http.js';
export type { NotifyRetryOptions, NotifyTransportOptions } from './http.js';

// Events
export {
  encodeEvent,
  goJson,
  goMap,
  GoMap,
  objectLabel,
  splitCamelCase,
  describeReason,
  titleCase,
  markdownPost,
} from './event.js';

// Errors
export { NotifyError, ReceiverError } from './errors.js';
export type { NotifyErrorOptions } from './errors.js';

// Types
export type {
  AlertSpec,
  EventSeverity,
  EventSource,
  FluxEvent,
  ObjectReference,
  ProviderCertSecret,
  ProviderProxySecret,
  ProviderSecret,
  ProviderSpec,
  SendOptions,
  SendResult,
} from './types.js';
