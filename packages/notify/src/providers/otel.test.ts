import { createHash } from 'node:crypto';
import { SecretRegistry, silentLogger } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { eventWith, successEvent } from '../../test/forge-harness.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createNotifyTransport } from '../http.js';
import { createNotifier } from '../notifier.js';
import type { ProviderSpec } from '../types.js';
import { OTEL_SCHEMA_URL, otel, otelEndpoint, otelRevision } from './otel.js';

describeNotifierContract({
  definition: otel,
  spec: ({ url, token }) => ({
    type: 'otel',
    address: `${url}/v1/traces`,
    secret: { token, headers: 'X-Org: a' },
  }),
  invalid: [{ type: 'otel' }, { type: 'otel', address: 'collector:4318' }],
});

/**
 * An independent OTLP decoder: @bufbuild/protobuf's wire reader (not protobufjs, which sends) with
 * the field numbers and wire types of opentelemetry-proto v1, written here from the .proto files.
 * Each message decodes to `{ field: value | value[] }` plus `order`, the field numbers as read.
 */
type Kind = 'string' | 'bytes' | 'fixed64' | 'fixed32' | 'varint' | { readonly msg: string };
const SCHEMA: Record<string, Record<number, readonly [string, Kind, 'repeated'?]>> = {
  ExportTraceServiceRequest: { 1: ['resourceSpans', { msg: 'ResourceSpans' }, 'repeated'] },
  ResourceSpans: {
    1: ['resource', { msg: 'Resource' }],
    2: ['scopeSpans', { msg: 'ScopeSpans' }, 'repeated'],
    3: ['schemaUrl', 'string'],
  },
  Resource: { 1: ['attributes', { msg: 'KeyValue' }, 'repeated'], 2: ['droppedAttributesCount', 'varint'] },
  ScopeSpans: {
    1: ['scope', { msg: 'InstrumentationScope' }],
    2: ['spans', { msg: 'Span' }, 'repeated'],
    3: ['schemaUrl', 'string'],
  },
  InstrumentationScope: { 1: ['name', 'string'], 2: ['version', 'string'] },
  KeyValue: { 1: ['key', 'string'], 2: ['value', { msg: 'AnyValue' }] },
  AnyValue: { 1: ['stringValue', 'string'], 2: ['boolValue', 'varint'], 3: ['intValue', 'varint'] },
  Span: {
    1: ['traceId', 'bytes'],
    2: ['spanId', 'bytes'],
    3: ['traceState', 'string'],
    4: ['parentSpanId', 'bytes'],
    5: ['name', 'string'],
    6: ['kind', 'varint'],
    7: ['startTimeUnixNano', 'fixed64'],
    8: ['endTimeUnixNano', 'fixed64'],
    9: ['attributes', { msg: 'KeyValue' }, 'repeated'],
    15: ['status', { msg: 'Status' }],
    16: ['flags', 'fixed32'],
  },
  Status: { 2: ['message', 'string'], 3: ['code', 'varint'] },
};
type Decoded = Record<string, unknown> & { order: number[] };
function decode(bytes: Uint8Array, type = 'ExportTraceServiceRequest'): Decoded {
  const reader = new BinaryReader(bytes);
  const out: Decoded = { order: [] };
  const schema = SCHEMA[type]!;
  while (reader.pos < reader.len) {
    const [no, wire] = reader.tag();
    out.order.push(no);
    const def = schema[no];
    if (!def) throw new Error(`${type}: unexpected field ${no} (wire type ${wire})`);
    const [name, kind, repeated] = def;
    const expectedWire =
      kind === 'varint'
        ? WireType.Varint
        : kind === 'fixed64'
          ? WireType.Bit64
          : kind === 'fixed32'
            ? WireType.Bit32
            : WireType.LengthDelimited;
    if (wire !== expectedWire) throw new Error(`${type}.${name}: wire type ${wire}, want ${expectedWire}`);
    const value =
      kind === 'string'
        ? reader.string()
        : kind === 'bytes'
          ? Buffer.from(reader.bytes()).toString('hex')
          : kind === 'fixed64'
            ? BigInt(reader.fixed64())
            : kind === 'fixed32'
              ? reader.fixed32()
              : kind === 'varint'
                ? reader.int32()
                : decode(reader.bytes(), kind.msg);
    if (repeated) ((out[name] ??= []) as unknown[]).push(value);
    else out[name] = value;
  }
  return out;
}
const kv = (d: Decoded) => [d.key, (d.value as Decoded).stringValue];
const isAscending = (order: number[]) => order.every((n, i) => i === 0 || order[i - 1]! <= n);

describe('otel (spec §5 otel): OTLP/HTTP protobuf to a loopback receiver', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(); // an empty ExportTraceServiceResponse
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const alert = {
    name: 'on-call',
    namespace: 'flux-system',
    uid: 'alert-uid-1',
    providerRef: { name: 'otel' },
    eventSources: [],
  };
  const now = new Date('2024-05-01T10:21:00Z');
  const postWithAlert = async (spec: ProviderSpec, event = successEvent) => {
    const options = otel.parseOptions(spec);
    const secrets = new SecretRegistry();
    const request = createNotifyTransport({
      scope: 'notify:otel',
      fetch: globalThis.fetch,
      secrets,
      logger: silentLogger,
    });
    const n = otel.create(options, {
      fetch: globalThis.fetch,
      logger: silentLogger,
      now: () => now,
      scope: 'notify:otel',
      secrets,
      request,
    });
    const sendOptions: ForgeSendOptions = { alert };
    return n.post(event, sendOptions);
  };

  it('sends one protobuf ExportTraceServiceRequest per event with Flux trace id, names, attributes and resource', async () => {
    const event = eventWith({ metadata: { revision: successEvent.metadata!.revision!, 'a-key': 'x' } });
    await postWithAlert({ type: 'otel', address: `${server.url}/v1/traces` }, event);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/traces');
    // otlptracehttp v1.44.0 (what Flux pins): protobuf, its own User-Agent, no compression.
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['user-agent']).toBe('OTel OTLP Exporter Go/1.44.0');
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.headers['content-length']).toBe(String(req.body.length));
    expect(() => JSON.parse(req.text()) as unknown).toThrow(); // not OTLP/JSON

    const body = decode(req.body);
    expect(body.order).toEqual([1]);
    const rs = (body.resourceSpans as Decoded[])[0]!;
    expect(rs.order).toEqual([1, 2, 3]);
    expect(rs.schemaUrl).toBe('https://opentelemetry.io/schemas/1.34.0');
    expect(OTEL_SCHEMA_URL).toBe(rs.schemaUrl);
    // Go's resource attributes form a set sorted by key.
    expect(((rs.resource as Decoded).attributes as Decoded[]).map(kv)).toEqual([
      ['service.instance.id', 'alert-uid-1'],
      ['service.name', 'flux-system/on-call'],
      ['service.namespace', 'flux-system'],
    ]);
    const ss = (rs.scopeSpans as Decoded[])[0]!;
    expect(ss.scope).toEqual({ order: [1], name: 'flux:notification-controller' });
    expect(ss.schemaUrl).toBeUndefined();
    const spans = ss.spans as Decoded[];
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    // Fields in number order, zero values left out (no trace_state, no parent span id).
    expect(isAscending(span.order)).toBe(true);
    expect(span.order).toEqual([1, 2, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 15, 16]);
    const expectedTrace = createHash('sha256')
      .update(`alert-uid-1:${successEvent.metadata!.revision}`)
      .digest('hex')
      .slice(0, 32);
    expect(span.traceId).toBe(expectedTrace);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.spanId).not.toBe('0000000000000000');
    expect(span.name).toBe('Kustomization: flux-system/webapp');
    expect(span.kind).toBe(1); // SPAN_KIND_INTERNAL
    expect(span.startTimeUnixNano).toBe(BigInt(Date.parse('2024-05-01T10:20:30Z')) * 1_000_000n);
    expect(span.endTimeUnixNano).toBe(BigInt(now.getTime()) * 1_000_000n);
    expect((span.attributes as Decoded[]).map(kv)).toEqual([
      ['object.uid', successEvent.involvedObject.uid],
      ['object.kind', 'Kustomization'],
      ['object.name', 'webapp'],
      ['object.namespace', 'flux-system'],
      ['a-key', 'x'],
      ['revision', successEvent.metadata!.revision],
    ]);
    expect(span.status).toEqual({ order: [3], code: 1 }); // Ok, the description dropped
    // sampled | parent-remote-known | parent-remote
    expect(span.flags).toBe(0x301);
  });

  it("posts where Go's exporter posts: scheme, host and path; empty path is /v1/traces; no query", () => {
    expect(otelEndpoint('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otelEndpoint('https://otlp.example.com/otlp/v1/traces?x=1#f')).toBe(
      'https://otlp.example.com/otlp/v1/traces',
    );
    expect(otelEndpoint('http://collector:4318/')).toBe('http://collector:4318/');
  });

  it('a missing timestamp starts the span at the send time (Go SDK)', async () => {
    await postWithAlert({ type: 'otel', address: server.url }, eventWith({ timestamp: null }));
    expect(server.requests[0]!.url).toBe('/v1/traces');
    const span = (
      ((decode(server.requests[0]!.body).resourceSpans as Decoded[])[0]!.scopeSpans as Decoded[])[0]!
        .spans as Decoded[]
    )[0]!;
    expect(span.startTimeUnixNano).toBe(BigInt(now.getTime()) * 1_000_000n);
  });

  it('marks errors with status Error(message)', async () => {
    await postWithAlert(
      { type: 'otel', address: `${server.url}/v1/traces` },
      eventWith({ severity: 'error', message: 'boom' }),
    );
    const span = (
      ((decode(server.requests[0]!.body).resourceSpans as Decoded[])[0]!.scopeSpans as Decoded[])[0]!
        .spans as Decoded[]
    )[0]!;
    expect(span.status).toEqual({ order: [2, 3], message: 'boom', code: 2 });
  });

  it('derives the revision from app-version@oci-digest, else revision, else unknown', () => {
    expect(otelRevision({ 'app-version': '1.2.3', 'oci-digest': 'sha256:abc', revision: 'r' })).toBe(
      '1.2.3@sha256:abc',
    );
    expect(otelRevision({ 'app-version': '1.2.3', revision: 'r' })).toBe('r');
    expect(otelRevision({})).toBe('unknown');
  });

  it('skips HelmRepository events', async () => {
    const n = createNotifier({ type: 'otel', address: `${server.url}/v1/traces` });
    const kind = { ...successEvent.involvedObject, kind: 'HelmRepository' };
    await expect(n.send(eventWith({ involvedObject: kind }))).resolves.toMatchObject({ skipped: true });
    expect(server.requests).toHaveLength(0);
  });

  it('adds Authorization only when the Secret has custom headers (Flux quirk)', async () => {
    await createNotifier({
      type: 'otel',
      address: `${server.url}/v1/traces`,
      secret: { token: 'tok-1' },
    }).send(successEvent);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    await createNotifier({
      type: 'otel',
      address: `${server.url}/v1/traces`,
      secret: { token: 'tok-1', headers: 'X-Scope-OrgID: tenant' },
    }).send(successEvent);
    expect(server.requests[1]!.headers.authorization).toBe('Bearer tok-1');
    expect(server.requests[1]!.headers['x-scope-orgid']).toBe('tenant');
    expect(server.requests[1]!.headers['content-type']).toBe('application/x-protobuf');
    await createNotifier({
      type: 'otel',
      address: `${server.url}/v1/traces`,
      secret: { username: 'u', password: 'p', headers: { 'X-A': 'b' } },
    }).send(successEvent);
    expect(server.requests[2]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});
