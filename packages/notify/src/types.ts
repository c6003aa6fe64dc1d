/**
 * The shapes `@tidewatch/notify` works with: the Flux event, the flattened Provider and Alert
 * specs, and the results of sending.
 *
 * @packageDocumentation
 */
import type { Event, EventInvolvedObject, EventSeverity } from '@tidewatch/core';

export type { EventSeverity };

/** Reference to the Flux object an event is about (`involvedObject`): core's type. */
export type ObjectReference = EventInvolvedObject;

/**
 * A Flux event (`fluxcd/pkg/apis/event/v1beta1.Event`): core's `Event`, with the timestamp also
 * accepted as an RFC 3339 string (as it arrives over HTTP) or `null` (Go's zero time).
 */
export interface FluxEvent extends Omit<Event, 'timestamp' | 'severity'> {
  /** `info` or `error` (`trace` is never posted by Flux). */
  readonly severity: EventSeverity;
  /** When the event happened; encoded as RFC 3339 UTC with second precision. */
  readonly timestamp: Date | string | null;
}

/**
 * The resolved Secret of a Provider (`secretRef`), as string keys. `headers` may be the YAML text
 * Flux reads or an already parsed map.
 */
export interface ProviderSecret {
  /** Replaces `address` (whitespace-trimmed). */
  readonly address?: string;
  /** The provider token. Not trimmed, as in Flux. */
  readonly token?: string;
  /** Basic-auth user; only used together with {@link password}. */
  readonly username?: string;
  /** Basic-auth password; only used together with {@link username}. */
  readonly password?: string;
  /** Extra HTTP headers (generic, generic-hmac), Pub/Sub attributes or OTLP headers. */
  readonly headers?: string | Readonly<Record<string, string>>;
  /** Deprecated proxy URL; overrides the spec's `proxy`. */
  readonly proxy?: string;
  /** Any other key (`ca.crt`, `githubAppID`, `creds`, `nkey`…). */
  readonly [key: string]: string | Readonly<Record<string, string>> | undefined;
}

/** The resolved `certSecretRef` Secret of a Provider. */
export interface ProviderCertSecret {
  /** PEM CA bundle; replaces the system pool, as in Flux. */
  readonly 'ca.crt'?: string;
  /** PEM client certificate (needs `tls.key`). */
  readonly 'tls.crt'?: string;
  /** PEM client key (needs `tls.crt`). */
  readonly 'tls.key'?: string;
  /** Legacy name of `ca.crt`. */
  readonly caFile?: string;
  /** Legacy name of `tls.crt`. */
  readonly certFile?: string;
  /** Legacy name of `tls.key`. */
  readonly keyFile?: string;
}

/** The resolved `proxySecretRef` Secret of a Provider. */
export interface ProviderProxySecret {
  /** Proxy URL (http, https or socks5). Required. */
  readonly address: string;
  /** Proxy user, injected as URL userinfo. */
  readonly username?: string;
  /** Proxy password, injected as URL userinfo. */
  readonly password?: string;
}

/**
 * A Flux `Provider` (v1beta3) flattened into one object, with its Secrets already resolved.
 *
 * @example
 * ```ts
 * const provider: ProviderSpec = {
 *   type: 'slack',
 *   address: 'https://hooks.slack.com/services/T/B/X',
 *   channel: 'general',
 * };
 * ```
 */
export interface ProviderSpec {
  /** Provider type id, e.g. `slack`, `generic-hmac`, `incident.io`. */
  readonly type: string;
  /** Provider name (used in messages and as the default dispatcher key). */
  readonly name?: string;
  /** Provider namespace. */
  readonly namespace?: string;
  /** Endpoint (≤ 2048 characters); the Secret's `address` replaces it. */
  readonly address?: string;
  /** Channel, room, topic or subject, depending on the type. */
  readonly channel?: string;
  /** Bot user name. */
  readonly username?: string;
  /** The Provider object's UID (commit-status ids, Opsgenie alias and PR comment markers use it). */
  readonly uid?: string;
  /** CEL expression for the commit-status id (git commit-status types only). */
  readonly commitStatusExpr?: string;
  /**
   * Budget for one whole delivery, all retries included: Go duration such as `15s`, `500ms`, `1m30s`.
   * @default '15s'
   */
  readonly timeout?: string;
  /** Deprecated proxy URL. */
  readonly proxy?: string;
  /**
   * When true nothing is sent.
   * @default false
   */
  readonly suspend?: boolean;
  /** The resolved `secretRef` Secret. */
  readonly secret?: ProviderSecret;
  /** The resolved `certSecretRef` Secret. */
  readonly certSecret?: ProviderCertSecret;
  /** The resolved `proxySecretRef` Secret. */
  readonly proxySecret?: ProviderProxySecret;
}

/** One entry of an Alert's `eventSources`. */
export interface EventSource {
  /** Kind of the involved object (case-sensitive). */
  readonly kind: string;
  /** Object name, or exactly `*` for any name. */
  readonly name: string;
  /** Namespace; empty means the Alert's own namespace. */
  readonly namespace?: string;
  /** Ignored by matching, as in Flux. */
  readonly apiVersion?: string;
  /** Labels the involved object must carry (needs a label lookup). */
  readonly matchLabels?: Readonly<Record<string, string>>;
}

/** A Flux `Alert` (v1beta3) flattened into one object. */
export interface AlertSpec {
  /** Alert name. */
  readonly name?: string;
  /** Alert namespace: the default namespace of its event sources. */
  readonly namespace?: string;
  /** Alert UID. */
  readonly uid?: string;
  /** Name of the Provider (in the Alert's namespace) that receives matching events. */
  readonly providerRef: { readonly name: string };
  /**
   * `info` lets every severity through; `error` only errors.
   * @default 'info'
   */
  readonly eventSeverity?: 'info' | 'error';
  /** Sources; an event must match at least one. */
  readonly eventSources: readonly EventSource[];
  /** RE2 regexes; when non-empty the message must match one. */
  readonly inclusionList?: readonly string[];
  /** RE2 regexes; a message that matches one is dropped (exclusion wins). */
  readonly exclusionList?: readonly string[];
  /** Metadata added to every event (cannot override controller metadata). */
  readonly eventMetadata?: Readonly<Record<string, string>>;
  /** Deprecated summary, added as metadata key `summary`. */
  readonly summary?: string;
  /**
   * When true the Alert matches nothing.
   * @default false
   */
  readonly suspend?: boolean;
}

/** What {@link Notifier.send} resolves with. */
export interface SendResult {
  /** True when the provider deliberately did not send this event. */
  readonly skipped: boolean;
  /** Why the event was skipped (only when {@link skipped}). */
  readonly reason?: string;
}

/** Options of a single send. */
export interface SendOptions {
  /** Cancels the delivery. */
  readonly signal?: AbortSignal;
  /**
   * The Alert that routed the event (the dispatcher sets it): the CEL `alert` variable of
   * `commitStatusExpr` and the OTEL resource use it.
   */
  readonly alert?: AlertSpec;
}
