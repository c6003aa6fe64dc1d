import { createHash } from 'node:crypto';
import { SecretRegistry, silentLogger } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { eventWith, successEvent } from '../../test/forge-harness.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createNotifyTransport } from '../http.js';
import { createNotifier } from '../notifier.js';
import type { ProviderSpec } from '../types.js';
import { otel, otelRevision } from './otel.js';

describeNotifierContract({
  definition: otel,
  spec: ({ url, token }) => ({
    type: 'otel',
    address: `${url}/v1/traces`,
    secret: { token, headers: 'X-Org: a' },
  }),
  invalid: [{ type: 'otel' }, { type: 'otel', address: 'collector:4318' }],
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { stringValue: string } }[];
  status: { code: number; message?: string };
}
interface OtlpRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue: string } }[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

describe('otel (spec §5 otel): OTLP/HTTP JSON to a loopback receiver', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"partialSuccess":{}}');
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

  it('sends one span per event with Flux trace id, names, attributes and resource', async () => {
    await postWithAlert({ type: 'otel', address: `${server.url}/v1/traces` });
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/traces');
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json() as OtlpRequest;
    const rs = body.resourceSpans[0]!;
    expect(rs.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'flux-system/on-call' } },
      { key: 'service.namespace', value: { stringValue: 'flux-system' } },
      { key: 'service.instance.id', value: { stringValue: 'alert-uid-1' } },
    ]);
    expect(rs.scopeSpans[0]!.scope.name).toBe('flux:notification-controller');
    const span = rs.scopeSpans[0]!.spans[0]!;
    const expectedTrace = createHash('sha256')
      .update(`alert-uid-1:${successEvent.metadata!.revision}`)
      .digest('hex')
      .slice(0, 32);
    expect(span.traceId).toBe(expectedTrace);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.name).toBe('Kustomization: flux-system/webapp');
    expect(span.kind).toBe(1);
    expect(span.startTimeUnixNano).toBe(String(Date.parse('2024-05-01T10:20:30Z') * 1e6));
    expect(span.endTimeUnixNano).toBe(String(now.getTime() * 1e6));
    expect(span.attributes).toEqual(
      expect.arrayContaining([
        { key: 'object.uid', value: { stringValue: successEvent.involvedObject.uid } },
        { key: 'object.kind', value: { stringValue: 'Kustomization' } },
        { key: 'object.name', value: { stringValue: 'webapp' } },
        { key: 'object.namespace', value: { stringValue: 'flux-system' } },
        { key: 'revision', value: { stringValue: successEvent.metadata!.revision } },
      ]),
    );
    expect(span.status).toEqual({ code: 1 });
  });

  it('marks errors with status Error(message)', async () => {
    await postWithAlert(
      { type: 'otel', address: `${server.url}/v1/traces` },
      eventWith({ severity: 'error', message: 'boom' }),
    );
    const span = (server.requests[0]!.json() as OtlpRequest).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(span.status).toEqual({ code: 2, message: 'boom' });
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
    await createNotifier({
      type: 'otel',
      address: `${server.url}/v1/traces`,
      secret: { username: 'u', password: 'p', headers: { 'X-A': 'b' } },
    }).send(successEvent);
    expect(server.requests[2]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});
