/**
 * `otel`: exports one span per event to an OTLP/HTTP traces endpoint (`address` is the full URL,
 * e.g. `http://collector:4318/v1/traces`), encoded as OTLP/JSON.
 *
 * The trace id is the first 16 bytes of SHA-256(`<alert UID>:<revision>`), so every event of one
 * revision lands in one trace, as in Flux. `HelmRepository` events are skipped.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ForgeSendOptions } from '../forge/common.js';
import { normalizeTimestamp, sortedEntries } from '../event.js';
import { defineNotifier } from '../provider.js';
import type { AlertSpec, FluxEvent } from '../types.js';

/** The revision the trace id is derived from: `<app-version>@<oci-digest>`, else `revision`, else `unknown`. */
export function otelRevision(metadata: Readonly<Record<string, string>> | undefined): string {
  const md = metadata ?? {};
  if (md['oci-digest'] !== undefined && md['app-version'] !== undefined)
    return `${md['app-version']}@${md['oci-digest']}`;
  return md.revision ?? 'unknown';
}

/** Hex trace id: the first 16 bytes of SHA-256(`<alertUID>:<revision>`). */
export function otelTraceId(alertUid: string, revision: string): string {
  return createHash('sha256')
    .update(`${alertUid}:${revision}`, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('hex');
}

const nanos = (timestamp: Date | string | null): string => {
  const iso = normalizeTimestamp(timestamp);
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? '0' : (BigInt(ms) * 1_000_000n).toString();
};
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** OTLP span status codes. */
const STATUS_OK = 1;
const STATUS_ERROR = 2;
/** `SPAN_KIND_INTERNAL`, what Go's `tracer.Start` creates by default. */
const SPAN_KIND_INTERNAL = 1;

/**
 * The OTLP/JSON `ExportTraceServiceRequest` for one event: resource `service.name`
 * `<alertNs>/<alertName>`, `service.namespace`, `service.instance.id` (alert UID); scope
 * `flux:notification-controller`; one span named `<Kind>: <ns>/<name>` from the event time to
 * `end`, with `object.*` and metadata attributes; status Error(message) or Ok.
 */
export function otelRequest(
  event: FluxEvent,
  alert: Pick<AlertSpec, 'name' | 'namespace' | 'uid'>,
  end: Date,
  spanId: string = randomBytes(8).toString('hex'),
): Record<string, unknown> {
  const o = event.involvedObject;
  const alertNs = alert.namespace ?? '';
  const attributes = [
    attr('object.uid', o.uid ?? ''),
    attr('object.kind', o.kind),
    attr('object.name', o.name),
    attr('object.namespace', o.namespace ?? ''),
    // Go iterates the metadata map in random order; sort for a stable request.
    ...sortedEntries(event.metadata).map(([k, v]) => attr(k, v)),
  ];
  // Go's SDK keeps a status description only for errors.
  const status =
    event.severity === 'error' ? { code: STATUS_ERROR, message: event.message } : { code: STATUS_OK };
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            attr('service.name', `${alertNs}/${alert.name ?? ''}`),
            attr('service.namespace', alertNs),
            attr('service.instance.id', alert.uid ?? ''),
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'flux:notification-controller' },
            spans: [
              {
                traceId: otelTraceId(alert.uid ?? '', otelRevision(event.metadata)),
                spanId,
                name: `${o.kind}: ${o.namespace ?? ''}/${o.name}`,
                kind: SPAN_KIND_INTERNAL,
                startTimeUnixNano: nanos(event.timestamp),
                endTimeUnixNano: (BigInt(end.getTime()) * 1_000_000n).toString(),
                attributes,
                status,
              },
            ],
          },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.34.0',
      },
    ],
  };
}

/** The `otel` provider. */
export const otel = defineNotifier({
  id: 'otel',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: true },
  parse: (config, problems) => {
    if (config.address === '')
      problems.push({ path: 'address', message: 'address is required (the OTLP traces URL)' });
    else {
      try {
        const u = new URL(config.address);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        problems.push({ path: 'address', message: 'invalid OTLP endpoint URL' });
      }
    }
    // Flux's quirk: Authorization is added only when the Secret also has custom headers.
    const headers: Record<string, string> = { ...config.headers };
    if (Object.keys(headers).length > 0 && !headers.Authorization) {
      const password = config.token || config.password || '';
      if (config.username === '') headers.Authorization = `Bearer ${password}`;
      else if (password !== '') {
        headers.Authorization = `Basic ${Buffer.from(`${config.username}:${password}`).toString('base64')}`;
      }
    }
    return { otlpHeaders: headers };
  },
  create: (options, ctx) => ({
    async post(event, sendOptions: ForgeSendOptions = {}) {
      if (event.involvedObject.kind === 'HelmRepository') {
        return { skipped: true, reason: 'HelmRepository events are not traced' };
      }
      // Flux fails without the Alert; createNotifier has none, so an anonymous Alert is used.
      const alert = sendOptions.alert ?? {};
      await ctx.request({
        url: options.address,
        headers: { 'Content-Type': 'application/json', ...options.otlpHeaders },
        body: JSON.stringify(otelRequest(event, alert, ctx.now())),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
