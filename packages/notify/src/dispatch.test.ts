import { ConfigError } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from './dispatch.js';
import { defineNotifier } from './provider.js';
import type { AlertSpec, FluxEvent, ProviderSpec } from './types.js';

const event: FluxEvent = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'webapp',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: new Date('2024-01-01T00:00:00Z'),
  message: 'Reconciliation finished',
  reason: 'ReconciliationSucceeded',
  metadata: {
    'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    'kustomize.toolkit.fluxcd.io/token': 'internal',
    'kustomize.toolkit.fluxcd.io/checksum': 'dropped',
    'event.toolkit.fluxcd.io/env': 'prod',
    unrelated: 'dropped',
  },
  reportingController: 'kustomize-controller',
};

const all = (name: string, provider: string, extra: Partial<AlertSpec> = {}): AlertSpec => ({
  name,
  namespace: 'flux-system',
  providerRef: { name: provider },
  eventSources: [{ kind: 'Kustomization', name: '*' }],
  ...extra,
});

describe('createDispatcher', () => {
  let ok: TestHttpServer;
  let broken: TestHttpServer;
  beforeAll(async () => {
    ok = await startHttpServer((_req, res) => {
      res.writeHead(200);
      res.end();
    });
    broken = await startHttpServer((_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
  });
  afterAll(async () => {
    await ok.close();
    await broken.close();
  });
  beforeEach(() => {
    ok.requests.length = 0;
    broken.requests.length = 0;
  });

  const providers = (): ProviderSpec[] => [
    { name: 'hook', namespace: 'flux-system', type: 'generic', address: `${ok.url}/hook` },
    { name: 'down', type: 'generic', address: `${broken.url}/x`, timeout: '2s' },
    { name: 'chat', type: 'slack', address: `${ok.url}/slack` },
  ];

  it('routes to every matching Alert, cleans and merges metadata, and reports per provider', async () => {
    const d = createDispatcher({
      providers: providers(),
      alerts: [
        all('to-hook', 'hook', { eventMetadata: { cluster: 'c1' } }),
        all('to-down', 'down'),
        all('errors-only', 'chat', { eventSeverity: 'error' }),
        all('to-chat', 'chat', { exclusionList: ['finished'] }),
      ],
      retry: { retries: 1, baseMs: 1, maxMs: 2 },
    });
    const result = await d.dispatch(event);
    expect(result.duplicate).toBe(false);
    expect(result.deliveries.map((x) => [x.alert, x.provider, x.status])).toEqual([
      ['flux-system/to-hook', 'flux-system/hook', 'sent'],
      ['flux-system/to-down', 'down', 'failed'],
    ]);
    const failed = result.deliveries[1]!;
    expect(failed.error?.code).toBe('NOTIFY_DELIVERY');
    expect(failed.error?.message).toContain('request failed with status code 503: down');
    expect(broken.requests.length).toBe(2);
    // The generic body carries un-prefixed, merged metadata; token, checksum and unknown keys are gone.
    const body = ok.requests[0]!.json() as { metadata: Record<string, string> };
    expect(body.metadata).toEqual({
      cluster: 'c1',
      env: 'prod',
      revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    });
  });

  it('suppresses a duplicate within the window, before any Alert (one event, one delivery)', async () => {
    let t = 0;
    const d = createDispatcher({
      providers: providers(),
      alerts: [all('to-hook', 'hook')],
      now: () => new Date(t),
    });
    expect((await d.dispatch(event)).deliveries).toHaveLength(1);
    t = 299_999;
    const dup = await d.dispatch({ ...event, severity: 'error', reason: 'Other' });
    expect(dup).toEqual({ duplicate: true, deliveries: [] });
    t = 300_000;
    expect((await d.dispatch(event)).duplicate).toBe(false);
    expect(ok.requests).toHaveLength(2);
    // a different revision is a different key
    const other = { ...event, metadata: { ...event.metadata, 'kustomize.toolkit.fluxcd.io/revision': 'x' } };
    expect((await d.dispatch(other)).duplicate).toBe(false);
  });

  it('store: false turns dedupe off', async () => {
    const d = createDispatcher({ providers: providers(), alerts: [all('a', 'hook')], store: false });
    await d.dispatch(event);
    expect((await d.dispatch(event)).duplicate).toBe(false);
  });

  it('gates: a commit_status=update event reaches generic but not chat providers', async () => {
    const d = createDispatcher({
      providers: providers(),
      alerts: [all('to-hook', 'hook'), all('to-chat', 'chat')],
      store: false,
    });
    const update = { ...event, metadata: { 'kustomize.toolkit.fluxcd.io/commit_status': 'update' } };
    const r = await d.dispatch(update);
    expect(r.deliveries.map((x) => x.status)).toEqual(['sent', 'skipped']);
    expect(r.deliveries[1]!.reason).toMatch(/commit status/);
  });

  it('a suspended provider is skipped; noCrossNamespaceRefs refuses other namespaces', async () => {
    const d = createDispatcher({
      providers: [{ name: 'hook', type: 'generic', address: ok.url, suspend: true }],
      alerts: [
        all('a', 'hook', { eventSources: [{ kind: 'Kustomization', name: '*', namespace: 'other' }] }),
      ],
      noCrossNamespaceRefs: true,
      store: false,
    });
    const r = await d.dispatch({ ...event, involvedObject: { ...event.involvedObject, namespace: 'other' } });
    expect(r.deliveries[0]!.status).toBe('failed');
    expect(r.deliveries[0]!.error?.message).toMatch(/cross-namespace/);
    const d2 = createDispatcher({
      providers: [{ name: 'hook', type: 'generic', address: ok.url, suspend: true }],
      alerts: [all('a', 'hook')],
      store: false,
    });
    expect((await d2.dispatch(event)).deliveries[0]).toMatchObject({ status: 'skipped' });
  });

  it('passes the routing Alert to the provider; third-party definitions plug in', async () => {
    const seen: (AlertSpec | undefined)[] = [];
    const recorder = defineNotifier({
      id: 'recorder',
      capabilities: { transport: 'sdk', gate: 'default', proxy: false, tls: false, headers: false },
      create: () => ({
        post(_event, options = {}) {
          seen.push(options.alert);
          return Promise.resolve({ skipped: false });
        },
      }),
    });
    const alert = all('rec', 'r');
    const d = createDispatcher({
      providers: [{ name: 'r', type: 'recorder' }],
      alerts: [alert],
      definitions: [recorder],
      store: false,
    });
    expect((await d.dispatch(event)).deliveries[0]!.status).toBe('sent');
    expect(seen).toEqual([alert]);
  });

  it('reports every configuration problem at once', () => {
    try {
      createDispatcher({
        providers: [
          { name: 'bad', type: 'generic' },
          { name: 'x', type: 'nope' },
        ],
        alerts: [all('a', 'missing', { inclusionList: ['(('] })],
      });
      expect.fail('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.path)).toEqual([
        'providers[0].address',
        'providers[1].type',
        'alerts[0].inclusionList[0]',
        'alerts[0].providerRef.name',
      ]);
    }
  });
});
