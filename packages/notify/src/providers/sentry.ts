/**
 * `sentry`: reports error events as Sentry events and info events as one-span transactions,
 * posted as an envelope to the DSN's project (`<scheme>://<host><path>/api/<project>/envelope/`).
 * Other severities are skipped. `channel` is the Sentry environment.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { normalizeTimestamp } from '../event.js';
import { defineNotifier } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** A parsed Sentry DSN. */
export interface SentryDsn {
  /** Envelope endpoint. */
  readonly envelopeUrl: string;
  /** Public key (DSN user). */
  readonly publicKey: string;
  /** Legacy secret key (DSN password), when present. */
  readonly secretKey?: string;
  /** Project id (last path segment). */
  readonly projectId: string;
}

/** Parses a DSN like sentry-go (`<scheme>://<key>[:<secret>]@<host>[:port][/path]/<project>`). */
export function parseSentryDsn(dsn: string): SentryDsn {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new Error('invalid DSN: invalid url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('invalid DSN: invalid scheme');
  if (url.username === '') throw new Error('invalid DSN: empty username');
  const segments = url.pathname.split('/');
  const projectId = segments.pop() ?? '';
  if (projectId === '') throw new Error('invalid DSN: empty project id');
  const path = segments.join('/');
  const secretKey = decodeURIComponent(url.password);
  return {
    envelopeUrl: `${url.protocol}//${url.host}${path}/api/${projectId}/envelope/`,
    publicKey: decodeURIComponent(url.username),
    ...(secretKey !== '' ? { secretKey } : {}),
    projectId,
  };
}

/** The `X-Sentry-Auth` header value. */
export function sentryAuthHeader(dsn: SentryDsn): string {
  const secret = dsn.secretKey !== undefined ? `, sentry_secret=${dsn.secretKey}` : '';
  return `Sentry sentry_version=7, sentry_client=${SDK.name}/${SDK.version}, sentry_key=${dsn.publicKey}${secret}`;
}

const SDK = { name: 'tidewatch.notify', version: '0.1.0' } as const;

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

function summary(event: FluxEvent): string {
  const o = event.involvedObject;
  return `${o.kind}: ${o.namespace ?? ''}/${o.name}`;
}

/**
 * The Sentry payload of an event: an error event for `error`, a transaction with one span for
 * `info`, `undefined` for any other severity.
 */
export function sentryPayload(
  event: FluxEvent,
  environment: string,
  ids: { readonly eventId: string; readonly traceId: string; readonly spanId: string } = {
    eventId: hex(16),
    traceId: hex(16),
    spanId: hex(8),
  },
): Record<string, unknown> | undefined {
  const env = environment !== '' ? { environment } : {};
  const timestamp = normalizeTimestamp(event.timestamp) ?? '0001-01-01T00:00:00Z';
  const metadata = { ...event.metadata };
  if (event.severity === 'error') {
    return {
      event_id: ids.eventId,
      level: 'error',
      message: event.message,
      platform: 'other',
      server_name: event.reportingController,
      timestamp,
      transaction: summary(event),
      contexts: { metadata },
      sdk: SDK,
      ...env,
    };
  }
  if (event.severity !== 'info') return undefined;
  const o = event.involvedObject;
  const tags: Record<string, string> = {
    flux_involved_object_kind: o.kind,
    flux_involved_object_namespace: o.namespace ?? '',
    flux_involved_object_name: o.name,
    flux_reporting_controller: event.reportingController,
    flux_reporting_instance: event.reportingInstance ?? '',
    flux_reason: event.reason,
    ...metadata,
  };
  return {
    event_id: ids.eventId,
    type: 'transaction',
    transaction: summary(event),
    message: event.message,
    platform: 'other',
    start_timestamp: timestamp,
    timestamp,
    tags,
    contexts: { trace: { trace_id: ids.traceId, span_id: ids.spanId, op: 'event' } },
    spans: [
      {
        trace_id: ids.traceId,
        span_id: ids.spanId,
        op: 'event',
        tags,
        start_timestamp: timestamp,
        timestamp,
      },
    ],
    sdk: SDK,
    ...env,
  };
}

/** Frames one item as a Sentry envelope: envelope header, item header, payload, one per line. */
export function sentryEnvelope(payload: Record<string, unknown>, dsn: string, sentAt: Date): string {
  const body = JSON.stringify(payload);
  const header = JSON.stringify({ event_id: payload.event_id, sent_at: sentAt.toISOString(), dsn, sdk: SDK });
  const item = JSON.stringify({
    type: payload.type === 'transaction' ? 'transaction' : 'event',
    length: Buffer.byteLength(body, 'utf8'),
  });
  return `${header}\n${item}\n${body}\n`;
}

/** The `sentry` provider. */
export const sentry = defineNotifier({
  id: 'sentry',
  capabilities: { transport: 'http', gate: 'default', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    let dsn: SentryDsn | undefined;
    if (config.address === '') problems.push({ path: 'address', message: 'DSN cannot be empty' });
    else {
      try {
        dsn = parseSentryDsn(config.address);
      } catch (err) {
        problems.push({ path: 'address', message: (err as Error).message });
      }
    }
    return { sentry: { dsn } };
  },
  create: (options, ctx) => {
    const dsn = options.sentry.dsn!;
    // The DSN's keys are credentials: keep them out of every message.
    ctx.secrets.add(dsn.publicKey);
    ctx.secrets.add(dsn.secretKey);
    return {
      async post(event, { signal } = {}) {
        const payload = sentryPayload(event, options.channel);
        if (!payload)
          return { skipped: true, reason: `severity '${event.severity}' is not reported to Sentry` };
        await ctx.request({
          url: dsn.envelopeUrl,
          headers: {
            'Content-Type': 'application/x-sentry-envelope',
            'X-Sentry-Auth': sentryAuthHeader(dsn),
          },
          body: sentryEnvelope(payload, options.address, ctx.now()),
          ...(signal ? { signal } : {}),
        });
        return { skipped: false };
      },
    };
  },
});
