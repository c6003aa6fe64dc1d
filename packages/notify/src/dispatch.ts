/**
 * The dispatcher: Flux's event-server pipeline as a library call (notify.md §0). One event in;
 * clean-up, dedupe, Alert matching, provider gates, metadata merge, and one delivery per matching
 * Alert, concurrently, each under its provider's timeout. One failing provider never blocks the
 * others; the result lists every delivery.
 *
 * @packageDocumentation
 */
import { AbortError, ConfigError, isTidewatchError, silentLogger } from '@tidewatch/core';
import type { ConfigProblem, FetchLike, Logger, TidewatchError } from '@tidewatch/core';
import {
  cleanEventMetadata,
  excludeInternalMetadata,
  gateEvent,
  matchAlert,
  mergeMetadata,
  validateAlert,
} from './alert.js';
import type { LabelLookup } from './alert.js';
import { createMemoryDedupeStore, dedupeKey } from './dedupe.js';
import type { DedupeStore } from './dedupe.js';
import { NotifyError } from './errors.js';
import type { NotifyRetryOptions } from './http.js';
import { createNotifier } from './notifier.js';
import type { NotifierHandle } from './notifier.js';
import type { NotifierDefinition } from './provider.js';
import type { AlertSpec, FluxEvent, ProviderSpec } from './types.js';

/** Options of {@link createDispatcher}. */
export interface CreateDispatcherOptions {
  /** The Alerts. Each is validated once (regexes included); problems throw one `ConfigError`. */
  readonly alerts: readonly AlertSpec[];
  /**
   * The Providers, as a list (each with `name`, optionally `namespace`) or a map by name. An
   * Alert's `providerRef.name` is looked up in its own namespace (a Provider without a namespace
   * serves every namespace).
   */
  readonly providers: readonly ProviderSpec[] | Readonly<Record<string, ProviderSpec>>;
  /**
   * HTTP transport of every provider.
   * @default globalThis.fetch
   */
  readonly fetch?: FetchLike;
  /**
   * Dedupe store; `false` turns duplicate suppression off.
   * @default an in-memory store
   */
  readonly store?: DedupeStore | false;
  /**
   * Dedupe window in ms (Flux's `--rate-limit-interval`).
   * @default 300000
   */
  readonly dedupeWindowMs?: number;
  /** Labels of involved objects, for `eventSources[].matchLabels`. */
  readonly labels?: LabelLookup;
  /**
   * Refuse events from another namespace than the Alert's (Flux's `--no-cross-namespace-refs`).
   * @default false
   */
  readonly noCrossNamespaceRefs?: boolean;
  /**
   * Receives warnings (metadata conflicts) and debug lines.
   * @default silentLogger
   */
  readonly logger?: Logger;
  /** Cancels every delivery. */
  readonly signal?: AbortSignal;
  /**
   * The clock (dedupe windows).
   * @default () => new Date()
   */
  readonly now?: () => Date;
  /** Retry policy override for every provider. */
  readonly retry?: NotifyRetryOptions;
  /**
   * Third-party provider definitions.
   * @default []
   */
  readonly definitions?: readonly NotifierDefinition[];
}

/** What happened to one matching Alert. */
export interface Delivery {
  /** `namespace/name` of the Alert (or its index when unnamed). */
  readonly alert: string;
  /** `namespace/name` of the Provider. */
  readonly provider: string;
  /** Provider type. */
  readonly type: string;
  /** `sent`, deliberately `skipped` (suspended, gated, ignored by the provider) or `failed`. */
  readonly status: 'sent' | 'skipped' | 'failed';
  /** Why it was skipped. */
  readonly reason?: string;
  /** Why it failed (typed, redacted). */
  readonly error?: TidewatchError;
  /** Metadata keys set by more than one source (Flux's `MetadataAppendFailed`). */
  readonly conflicts?: readonly string[];
}

/** The outcome of one {@link Dispatcher.dispatch}. */
export interface DispatchResult {
  /** True when the event was suppressed as a duplicate (Flux answers 429); nothing was sent. */
  readonly duplicate: boolean;
  /** One entry per matching Alert, in Alert order. */
  readonly deliveries: readonly Delivery[];
}

/** Routes events to providers. */
export interface Dispatcher {
  /** Dispatches one event to every matching Alert's provider. Never rejects for a delivery failure. */
  dispatch(event: FluxEvent, options?: { readonly signal?: AbortSignal }): Promise<DispatchResult>;
  /** Releases provider resources. */
  close(): Promise<void>;
}

interface ProviderEntry {
  readonly key: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly handle: NotifierHandle;
}

function label(namespace: string | undefined, name: string | undefined, fallback: string): string {
  const n = name ?? fallback;
  return namespace ? `${namespace}/${n}` : n;
}

/**
 * Creates a dispatcher. Validates every Alert and Provider at once and throws one `ConfigError`
 * listing every problem.
 *
 * @example
 * ```ts
 * const dispatcher = createDispatcher({
 *   providers: [{ name: 'slack', type: 'slack', address: 'https://hooks.slack.com/services/T/B/X' }],
 *   alerts: [{ name: 'all', providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*', namespace: 'flux-system' }] }],
 * });
 * const { deliveries } = await dispatcher.dispatch(event);
 * ```
 */
export function createDispatcher(options: CreateDispatcherOptions): Dispatcher {
  const problems: ConfigProblem[] = [];
  const specs: [string, ProviderSpec][] = Array.isArray(options.providers)
    ? (options.providers as readonly ProviderSpec[]).map((p, i) => [`providers[${i}]`, p])
    : Object.entries(options.providers as Readonly<Record<string, ProviderSpec>>).map(([name, p]) => [
        `providers.${name}`,
        { ...p, name: p.name ?? name },
      ]);
  const providers: ProviderEntry[] = [];
  for (const [path, spec] of specs) {
    if (typeof spec.name !== 'string' || spec.name === '') {
      problems.push({ path: `${path}.name`, message: 'is required (Alerts refer to providers by name)' });
    }
    try {
      const handle = createNotifier(spec, {
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.definitions ? { definitions: options.definitions } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      providers.push({
        key: path,
        name: spec.name ?? '',
        namespace: spec.namespace,
        handle,
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        for (const p of err.problems) problems.push({ ...p, path: p.path ? `${path}.${p.path}` : path });
      } else throw err;
    }
  }
  const alerts = options.alerts;
  alerts.forEach((alert, i) => {
    const path = `alerts[${i}]`;
    problems.push(...validateAlert(alert, path));
    const ref = alert.providerRef?.name;
    const declared = specs.some(
      ([, p]) => p.name === ref && (!p.namespace || p.namespace === (alert.namespace ?? '')),
    );
    if (typeof ref === 'string' && ref !== '' && !declared) {
      problems.push({ path: `${path}.providerRef.name`, message: `provider '${ref}' not found` });
    }
  });
  if (problems.length > 0) throw new ConfigError('notify:dispatch', problems);

  function findProvider(alert: AlertSpec): ProviderEntry | undefined {
    return providers.find(
      (p) =>
        p.name === alert.providerRef.name &&
        (p.namespace === undefined || p.namespace === '' || p.namespace === (alert.namespace ?? '')),
    );
  }
  const routes = new Map<AlertSpec, ProviderEntry>();
  for (const alert of alerts) routes.set(alert, findProvider(alert)!);

  const store = options.store === false ? undefined : (options.store ?? createMemoryDedupeStore());
  const windowMs = options.dedupeWindowMs ?? 300_000;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());

  async function deliver(
    alert: AlertSpec,
    index: number,
    event: FluxEvent,
    signal: AbortSignal | undefined,
  ): Promise<Delivery> {
    const entry = routes.get(alert)!;
    const base = {
      alert: label(alert.namespace, alert.name, `alerts[${index}]`),
      provider: label(entry.namespace, entry.name, entry.key),
      type: entry.handle.type,
    };
    if (options.noCrossNamespaceRefs && (event.involvedObject.namespace ?? '') !== (alert.namespace ?? '')) {
      return {
        ...base,
        status: 'failed',
        error: new NotifyError(
          'NOTIFY_UNSUPPORTED',
          `[notify:dispatch] discarding event, access denied to cross-namespace sources: alert '${base.alert}' can't process event from '${event.involvedObject.kind}/${event.involvedObject.namespace ?? ''}/${event.involvedObject.name}'`,
        ),
      };
    }
    if (entry.handle.config.suspend) return { ...base, status: 'skipped', reason: 'provider is suspended' };
    const gated = gateEvent(entry.handle.definition.capabilities.gate, event);
    if (gated !== undefined) return { ...base, status: 'skipped', reason: gated };
    const merged = mergeMetadata(event, alert);
    const conflicts = merged.conflicts.map((c) => c.key);
    if (conflicts.length > 0) {
      logger.warn('[notify:dispatch] metadata key conflicts detected', {
        alert: base.alert,
        keys: conflicts.join(','),
      });
    }
    const extra = conflicts.length > 0 ? { conflicts } : {};
    try {
      const result = await entry.handle.send(merged.event, { alert, ...(signal ? { signal } : {}) });
      return result.skipped
        ? { ...base, ...extra, status: 'skipped', ...(result.reason ? { reason: result.reason } : {}) }
        : { ...base, ...extra, status: 'sent' };
    } catch (err) {
      const error = isTidewatchError(err)
        ? err
        : new NotifyError('NOTIFY_DELIVERY', `[notify:${base.type}] delivery failed`, { cause: err });
      logger.debug(`[notify:dispatch] delivery to ${base.provider} failed: ${error.message}`, {
        alert: base.alert,
      });
      return { ...base, ...extra, status: 'failed', error };
    }
  }

  return {
    async dispatch(event, dispatchOptions = {}) {
      const signal = dispatchOptions.signal;
      if (signal?.aborted || options.signal?.aborted) throw new AbortError('notify:dispatch');
      const cleaned = cleanEventMetadata(event);
      if (store) {
        const claimed = await store.claim(dedupeKey(cleaned), windowMs, now().getTime());
        if (!claimed) return { duplicate: true, deliveries: [] };
      }
      const ready = excludeInternalMetadata(cleaned);
      const matching: [AlertSpec, number][] = [];
      alerts.forEach((alert, i) => {
        if (matchAlert(alert, ready, options.labels ? { labels: options.labels } : {}))
          matching.push([alert, i]);
      });
      const deliveries = await Promise.all(matching.map(([alert, i]) => deliver(alert, i, ready, signal)));
      return { duplicate: false, deliveries };
    },
    async close() {
      await Promise.all(providers.map((p) => p.handle.close()));
    },
  };
}
