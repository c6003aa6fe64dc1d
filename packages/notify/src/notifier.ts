/**
 * `createNotifier`: one Provider spec in, a `send(event)` out.
 *
 * @packageDocumentation
 */
import {
  AbortError,
  ConfigError,
  SecretRegistry,
  defaultPluginContext,
  isTidewatchError,
  silentLogger,
} from '@tidewatch/core';
import type { FetchLike, Logger } from '@tidewatch/core';
import { NotifyError } from './errors.js';
import { createNotifyTransport } from './http.js';
import type { NotifyRetryOptions } from './http.js';
import type { Notifier, NotifierDefinition, ProviderConfig } from './provider.js';
import { notifierDefinitions } from './providers/index.js';
import type { FluxEvent, SendOptions, SendResult } from './types.js';

/** Options of {@link createNotifier}. */
export interface CreateNotifierOptions {
  /**
   * HTTP transport.
   * @default globalThis.fetch
   */
  readonly fetch?: FetchLike;
  /** Cancels every send of this notifier. */
  readonly signal?: AbortSignal;
  /**
   * Debug log (already redacted).
   * @default silentLogger
   */
  readonly logger?: Logger;
  /**
   * Retry policy override (tests use short waits).
   * @default { retries: 4, baseMs: 2000, maxMs: 30000 }
   */
  readonly retry?: NotifyRetryOptions;
  /**
   * Extra provider definitions (third-party types), looked up before the built-in ones.
   * @default []
   */
  readonly definitions?: readonly NotifierDefinition[];
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly now?: () => Date;
}

/** A ready-to-use provider. */
export interface NotifierHandle {
  /** Provider type. */
  readonly type: string;
  /** The validated configuration. */
  readonly config: ProviderConfig;
  /** The definition behind it. */
  readonly definition: NotifierDefinition;
  /**
   * Sends one event (already merged by the dispatcher, or as is). The whole delivery, all retries
   * included, runs under the Provider timeout (default 15 s).
   */
  send(event: FluxEvent, options?: SendOptions): Promise<SendResult>;
  /** Releases resources held by the provider. */
  close(): Promise<void>;
}

/** Finds the definition of a provider type (extra definitions first). */
export function findNotifierDefinition(
  type: string,
  extra: readonly NotifierDefinition[] = [],
): NotifierDefinition | undefined {
  return extra.find((d) => d.id === type) ?? notifierDefinitions.find((d) => d.id === type);
}

function secretsOf(config: ProviderConfig, definition: NotifierDefinition): SecretRegistry {
  const registry = new SecretRegistry();
  registry.add(config.token);
  registry.add(config.password);
  for (const field of definition.secretFields) registry.add(config.secret[field]);
  for (const value of Object.values(config.headers)) registry.add(value);
  registry.add(config.tls?.key);
  if (config.proxy) {
    try {
      const u = new URL(config.proxy);
      registry.add(decodeURIComponent(u.password));
    } catch {
      /* validated earlier */
    }
  }
  // A webhook address from the Secret is itself a credential (Slack, Discord, Teams).
  if (config.secret.address !== undefined) registry.add(config.address);
  return registry;
}

/**
 * Validates a Provider and returns a notifier that sends events exactly as Flux's
 * notification-controller would. Throws a `ConfigError` listing every problem of an invalid
 * Provider.
 *
 * @example
 * ```ts
 * const notifier = createNotifier({ type: 'slack', address: 'https://hooks.slack.com/services/T/B/X' });
 * const result = await notifier.send(event); // { skipped: false }
 * ```
 */
export function createNotifier(provider: unknown, options: CreateNotifierOptions = {}): NotifierHandle {
  const type =
    typeof provider === 'object' && provider !== null ? (provider as { type?: unknown }).type : undefined;
  const definition = typeof type === 'string' ? findNotifierDefinition(type, options.definitions) : undefined;
  if (!definition) {
    throw new ConfigError('notify:provider', [
      {
        path: 'type',
        message:
          typeof type === 'string'
            ? `unsupported provider type '${type}'`
            : 'is required (a provider type id)',
      },
    ]);
  }
  const config = definition.parseOptions(provider);
  const scope = `notify:${definition.id}`;
  const secrets = secretsOf(config, definition);
  const logger = options.logger ?? silentLogger;
  const base = defaultPluginContext({
    ...(options.fetch ? { fetch: options.fetch } : {}),
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const request = createNotifyTransport({
    scope,
    fetch: options.fetch,
    timeoutMs: config.timeoutMs,
    secrets,
    logger,
    proxy: config.proxy,
    tls: config.tls,
    retry: options.retry,
  });
  let instance: Notifier | undefined;
  const getInstance = (): Notifier => {
    instance ??= definition.create(config, { ...base, scope, secrets, request });
    return instance;
  };

  return {
    type: definition.id,
    config,
    definition,
    async send(event: FluxEvent, sendOptions: SendOptions = {}): Promise<SendResult> {
      if (config.suspend) return { skipped: true, reason: 'provider is suspended' };
      // One timer per send, cleared as soon as the delivery settles (AbortSignal.timeout would keep
      // every timer and signal alive for the whole timeout, which adds up at thousands of sends).
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error('provider timeout')), config.timeoutMs);
      const signals = [deadline.signal, options.signal, sendOptions.signal].filter(
        (s): s is AbortSignal => s !== undefined,
      );
      // AbortSignal.any is costly on hot paths; skip it when the deadline is the only signal.
      const signal = signals.length === 1 ? deadline.signal : AbortSignal.any(signals);
      try {
        signal.throwIfAborted();
        return await getInstance().post(event, {
          signal,
          ...(sendOptions.alert ? { alert: sendOptions.alert } : {}),
        });
      } catch (err) {
        const callerAborted = options.signal?.aborted === true || sendOptions.signal?.aborted === true;
        if (callerAborted) throw new AbortError(scope, { cause: err });
        if (deadline.signal.aborted) {
          throw new NotifyError(
            'NOTIFY_DELIVERY',
            `[${scope}] delivery timed out after ${config.timeoutMs} ms (provider timeout)`,
            { cause: err, retryable: true },
          );
        }
        if (isTidewatchError(err)) throw err;
        const detail = err instanceof Error ? err.message : String(err);
        throw new NotifyError('NOTIFY_DELIVERY', secrets.redact(`[${scope}] delivery failed: ${detail}`), {
          cause: err,
        });
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      await instance?.close?.();
    },
  };
}
