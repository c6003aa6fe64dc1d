/**
 * `otel`: exports one span per event to an OTLP/HTTP traces endpoint (`address` is the full URL,
 * e.g. `http://collector:4318/v1/traces`), as Go's `otlptracehttp` exporter does in Flux: an
 * `application/x-protobuf` `ExportTraceServiceRequest`, uncompressed. The protobuf encoder
 * (`protobufjs`) is an optional peer dependency loaded on first use.
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
import { encodeOtlpTraceRequest, uint64Bits } from './otel-protobuf/encode.js';
import type { OtlpKeyValue, OtlpTraceRequest } from './otel-protobuf/encode.js';

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

/** Unix nanoseconds of an event time; Go's SDK starts the span now when the event has no time. */
const nanos = (timestamp: Date | string | null, fallback: Date): bigint => {
  const iso = normalizeTimestamp(timestamp);
  const ms = iso ? Date.parse(iso) : NaN;
  return BigInt(Number.isNaN(ms) ? fallback.getTime() : ms) * 1_000_000n;
};
const attr = (key: string, value: string): OtlpKeyValue => ({ key, value: { stringValue: value } });

/** OTLP span status codes. */
const STATUS_OK = 1;
const STATUS_ERROR = 2;
/** `SPAN_KIND_INTERNAL`, what Go's `tracer.Start` creates by default. */
const SPAN_KIND_INTERNAL = 1;
/**
 * Span flags Go's exporter writes for Flux's span: W3C `sampled` (0x01), "knows whether the
 * parent is remote" (0x100) and "parent is remote" (0x200): Flux starts the span under a remote
 * span context that carries the derived trace id.
 */
const SPAN_FLAGS = 0x01 | 0x100 | 0x200;
/** The schema URL of semconv v1.34.0, which Flux builds its resource with. */
export const OTEL_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.34.0';
/** The `User-Agent` of Go's `otlptracehttp` exporter at the version Flux pins (v1.44.0). */
export const OTEL_USER_AGENT = 'OTel OTLP Exporter Go/1.44.0';
/** The content type of an OTLP/HTTP protobuf request. */
export const OTLP_PROTOBUF = 'application/x-protobuf';

/**
 * The OTLP `ExportTraceServiceRequest` for one event: resource `service.instance.id` (alert UID),
 * `service.name` `<alertNs>/<alertName>`, `service.namespace` (sorted by key, as Go's attribute
 * sets are) with the semconv 1.34.0 schema URL; scope `flux:notification-controller`; one
 * internal span named `<Kind>: <ns>/<name>` from the event time to `end`, with `object.*` and
 * metadata attributes; status Error(message) or Ok (Go's SDK drops an Ok description).
 */
export function otelRequest(
  event: FluxEvent,
  alert: Pick<AlertSpec, 'name' | 'namespace' | 'uid'>,
  end: Date,
  spanId: Uint8Array = randomBytes(8),
): OtlpTraceRequest {
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
  const start = nanos(event.timestamp, end);
  const stop = BigInt(end.getTime()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            attr('service.instance.id', alert.uid ?? ''),
            attr('service.name', `${alertNs}/${alert.name ?? ''}`),
            attr('service.namespace', alertNs),
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'flux:notification-controller' },
            spans: [
              {
                traceId: Buffer.from(otelTraceId(alert.uid ?? '', otelRevision(event.metadata)), 'hex'),
                spanId,
                name: `${o.kind}: ${o.namespace ?? ''}/${o.name}`,
                kind: SPAN_KIND_INTERNAL,
                // proto3 leaves zero values out; so does this message.
                ...(start > 0n ? { startTimeUnixNano: uint64Bits(start) } : {}),
                ...(stop > 0n ? { endTimeUnixNano: uint64Bits(stop) } : {}),
                attributes,
                status:
                  event.severity === 'error'
                    ? { code: STATUS_ERROR, ...(event.message ? { message: event.message } : {}) }
                    : { code: STATUS_OK },
                flags: SPAN_FLAGS,
              },
            ],
          },
        ],
        schemaUrl: OTEL_SCHEMA_URL,
      },
    ],
  };
}

/**
 * The URL Go's exporter posts to for `WithEndpointURL(address)`: scheme, host and path of the
 * address (query and fragment dropped), the path defaulting to `/v1/traces`.
 */
export function otelEndpoint(address: string): string {
  const u = new URL(address);
  // WHATWG URLs report "/" for an empty path; Go keeps "" (then defaults it) apart from "/".
  const rawPath = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(address.trim())?.[1] ?? '';
  const path = rawPath.trim() === '' ? '/v1/traces' : u.pathname;
  return `${u.protocol}//${u.host}${path}`;
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
    let otlpEndpoint = '';
    try {
      otlpEndpoint = otelEndpoint(config.address);
    } catch {
      // reported above
    }
    return { otlpHeaders: headers, otlpEndpoint };
  },
  create: (options, ctx) => ({
    async post(event, sendOptions: ForgeSendOptions = {}) {
      if (event.involvedObject.kind === 'HelmRepository') {
        return { skipped: true, reason: 'HelmRepository events are not traced' };
      }
      // Flux fails without the Alert; createNotifier has none, so an anonymous Alert is used.
      const alert = sendOptions.alert ?? {};
      await ctx.request({
        url: options.otlpEndpoint,
        // Go's exporter: its User-Agent, then the custom headers, then the content type (which
        // a custom header cannot replace). No compression by default.
        headers: { 'User-Agent': OTEL_USER_AGENT, ...options.otlpHeaders, 'Content-Type': OTLP_PROTOBUF },
        body: await encodeOtlpTraceRequest(otelRequest(event, alert, ctx.now()), ctx.scope),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
