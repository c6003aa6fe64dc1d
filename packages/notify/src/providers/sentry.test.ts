import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { eventWith, successEvent } from '../../test/forge-harness.js';
import { createNotifier } from '../notifier.js';
import { parseSentryDsn, sentry } from './sentry.js';

describeNotifierContract({
  definition: sentry,
  spec: ({ url, token }) => ({
    type: 'sentry',
    address: url.replace('://', `://${token}@`) + '/42',
    channel: 'prod',
  }),
  invalid: [
    { type: 'sentry' },
    { type: 'sentry', address: 'https://sentry.io/42' },
    { type: 'sentry', address: 'ftp://k@h/1' },
  ],
});

describe('sentry DSN', () => {
  it('builds the envelope URL from scheme, host, path and project id', () => {
    expect(parseSentryDsn('https://abc:def@o1.ingest.sentry.io:8443/sub/path/1234')).toEqual({
      envelopeUrl: 'https://o1.ingest.sentry.io:8443/sub/path/api/1234/envelope/',
      publicKey: 'abc',
      secretKey: 'def',
      projectId: '1234',
    });
  });
});

describe('sentry envelopes (spec §5 sentry)', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"x"}');
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const send = (event = successEvent, channel = 'staging') =>
    createNotifier({
      type: 'sentry',
      address: `${server.url.replace('://', '://pubkey@')}/sub/42`,
      channel,
    }).send(event);

  const parse = () => {
    const req = server.requests[0]!;
    const [header, item, payload, rest] = req.text().split('\n');
    return {
      req,
      header: JSON.parse(header!) as Record<string, unknown>,
      item: JSON.parse(item!) as { type: string; length: number },
      payloadText: payload!,
      payload: JSON.parse(payload!) as Record<string, unknown>,
      rest,
    };
  };

  it('posts an error event to /api/<project>/envelope/ with X-Sentry-Auth', async () => {
    const event = eventWith({
      severity: 'error',
      reason: 'HealthCheckFailed',
      message: 'health check failed',
      metadata: { revision: 'main@sha1:abc' },
    });
    await expect(send(event)).resolves.toEqual({ skipped: false });
    const { req, header, item, payload, payloadText, rest } = parse();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/sub/api/42/envelope/');
    expect(req.headers['content-type']).toBe('application/x-sentry-envelope');
    expect(req.headers['x-sentry-auth']).toMatch(
      /^Sentry sentry_version=7, sentry_client=[^,]+, sentry_key=pubkey$/,
    );
    expect(item).toEqual({ type: 'event', length: Buffer.byteLength(payloadText) });
    expect(header.event_id).toBe(payload.event_id);
    expect(rest).toBe('');
    expect(payload).toMatchObject({
      level: 'error',
      server_name: 'kustomize-controller',
      transaction: 'Kustomization: flux-system/webapp',
      message: 'health check failed',
      timestamp: '2024-05-01T10:20:30Z',
      contexts: { metadata: { revision: 'main@sha1:abc' } },
      environment: 'staging',
    });
  });

  it('posts an info event as a transaction with one span and the flux tags', async () => {
    await send();
    const { item, payload } = parse();
    expect(item.type).toBe('transaction');
    const tags = {
      flux_involved_object_kind: 'Kustomization',
      flux_involved_object_namespace: 'flux-system',
      flux_involved_object_name: 'webapp',
      flux_reporting_controller: 'kustomize-controller',
      flux_reporting_instance: '',
      flux_reason: 'ReconciliationSucceeded',
      revision: successEvent.metadata!.revision,
      commit_status: 'update',
    };
    expect(payload).toMatchObject({
      type: 'transaction',
      transaction: 'Kustomization: flux-system/webapp',
      message: successEvent.message,
      start_timestamp: '2024-05-01T10:20:30Z',
      timestamp: '2024-05-01T10:20:30Z',
      tags,
    });
    const spans = payload.spans as { trace_id: string; span_id: string; op: string }[];
    expect(spans).toHaveLength(1);
    expect(spans[0]!.op).toBe('event');
    expect(spans[0]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(payload.contexts).toEqual({
      trace: { trace_id: spans[0]!.trace_id, span_id: spans[0]!.span_id, op: 'event' },
    });
  });

  it('sends nothing for other severities', async () => {
    await expect(send(eventWith({ severity: 'trace' }))).resolves.toMatchObject({ skipped: true });
    expect(server.requests).toHaveLength(0);
  });
});
