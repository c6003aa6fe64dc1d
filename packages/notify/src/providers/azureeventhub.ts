/**
 * `azureeventhub`: sends the event JSON as one Event Hubs event over AMQP with
 * `@azure/event-hubs` (an optional peer dependency, loaded on first use), then closes the
 * producer, as Flux does.
 *
 * Two forms, as in Flux: an `address` containing `SharedAccessKey` is a connection string (SAS);
 * otherwise `address` is the event hub name, `channel` the namespace (`<ns>` or a fully-qualified
 * `<ns>.servicebus.…` host) and the Secret `token` a JWT.
 *
 * @packageDocumentation
 */
import { isTidewatchError } from '@tidewatch/core';
import { NotifyError } from '../errors.js';
import { encodeEvent } from '../event.js';
import { loadOptional, raceAbort } from '../forge/optional.js';
import { defineNotifier } from '../provider.js';

/** Where and how to send. */
export type EventHubTarget =
  | { readonly kind: 'sas'; readonly connectionString: string }
  | {
      readonly kind: 'jwt';
      readonly fullyQualifiedNamespace: string;
      readonly eventHubName: string;
      readonly token: string;
    };

/** The slice of `@azure/event-hubs` the provider uses (so tests can stand in for it). */
export interface EventHubsLibrary {
  readonly EventHubProducerClient: {
    new (connectionString: string): EventHubProducer;
    new (
      fullyQualifiedNamespace: string,
      eventHubName: string,
      credential: { getToken(): Promise<{ token: string; expiresOnTimestamp: number } | null> },
    ): EventHubProducer;
  };
}

/** The producer methods used. */
export interface EventHubProducer {
  createBatch(): Promise<{ tryAdd(event: { body: unknown }): boolean }>;
  sendBatch(batch: unknown): Promise<void>;
  close(): Promise<void>;
}

/** `<ns>` → `<ns>.servicebus.windows.net` unless it is already fully qualified (Flux's rule). */
export function eventHubNamespace(namespace: string): string {
  return namespace.includes('.servicebus.') ? namespace : `${namespace}.servicebus.windows.net`;
}

/**
 * Sends one event body with a producer built from `lib` and closes the producer. Exported for
 * tests that cannot reach an Event Hubs broker.
 */
export async function sendToEventHub(
  lib: EventHubsLibrary,
  target: EventHubTarget,
  body: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  const producer =
    target.kind === 'sas'
      ? new lib.EventHubProducerClient(target.connectionString)
      : new lib.EventHubProducerClient(target.fullyQualifiedNamespace, target.eventHubName, {
          // A static JWT, as Flux's deprecated token auth; expiry is the token's own business.
          getToken: () =>
            Promise.resolve({ token: target.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
        });
  try {
    const batch = await raceAbort(producer.createBatch(), signal);
    if (!batch.tryAdd({ body })) throw new Error('failed to add event data to batch: event too large');
    await raceAbort(producer.sendBatch(batch), signal);
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** The `azureeventhub` provider. */
export const azureeventhub = defineNotifier({
  id: 'azureeventhub',
  capabilities: { transport: 'amqp', gate: 'default', proxy: false, tls: false, headers: false },
  parse: (config, problems) => {
    const token = config.token ?? '';
    let target: EventHubTarget | undefined;
    if (config.address === '') {
      problems.push({
        path: 'address',
        message: 'invalid authentication options: endpoint URL cannot be empty',
      });
    } else if (config.address.includes('SharedAccessKey')) {
      if (token !== '') {
        problems.push({
          path: 'secret.token',
          message:
            'invalid authentication options: jwt token and SAS authentication cannot be set at the same time',
        });
      }
      target = { kind: 'sas', connectionString: config.address };
    } else {
      if (token === '') {
        problems.push({
          path: 'secret.token',
          message: 'a JWT token is required (workload identity is not available outside a cluster)',
        });
      }
      if (config.channel === '') {
        problems.push({ path: 'channel', message: 'the Event Hubs namespace (channel) cannot be empty' });
      }
      target = {
        kind: 'jwt',
        fullyQualifiedNamespace: eventHubNamespace(config.channel),
        eventHubName: config.address,
        token,
      };
    }
    return { eventHub: target };
  },
  create: (options, ctx) => {
    const target = options.eventHub!;
    if (target.kind === 'sas') {
      const key = /SharedAccessKey=([^;]+)/.exec(target.connectionString)?.[1];
      ctx.secrets.add(key);
      ctx.secrets.add(target.connectionString);
    }
    return {
      async post(event, { signal } = {}) {
        const lib = (await loadOptional(
          () => import('@azure/event-hubs'),
          '@azure/event-hubs',
          ctx.scope,
        )) as unknown as EventHubsLibrary;
        try {
          await sendToEventHub(lib, target, Buffer.from(encodeEvent(event), 'utf8'), signal);
        } catch (err) {
          if (signal?.aborted || isTidewatchError(err)) throw err;
          throw new NotifyError(
            'NOTIFY_DELIVERY',
            ctx.secrets.redact(
              `[${ctx.scope}] failed to send msg: ${err instanceof Error ? err.message : String(err)}`,
            ),
            { cause: err, retryable: (err as { retryable?: unknown }).retryable !== false },
          );
        }
        return { skipped: false };
      },
    };
  },
});
