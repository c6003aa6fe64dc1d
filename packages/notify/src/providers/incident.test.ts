import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { errorEvent, infoEvent, useRecorder } from '../../test/fixtures.js';
import { createNotifier } from '../notifier.js';
import type { FluxEvent } from '../types.js';
import { alertmanager } from './alertmanager.js';
import { datadog } from './datadog.js';
import { grafana } from './grafana.js';
import { incidentio } from './incident.io.js';
import { opsgenie } from './opsgenie.js';
import { pagerduty } from './pagerduty.js';

describeNotifierContract({
  definition: opsgenie,
  spec: ({ url, token }) => ({ type: 'opsgenie', address: `${url}/v2/alerts`, uid: 'u', secret: { token } }),
  invalid: [{ type: 'opsgenie', address: 'https://api.opsgenie.com/v2/alerts' }],
});
describeNotifierContract({
  definition: alertmanager,
  spec: ({ url, token, password }) => ({
    type: 'alertmanager',
    address: `${url}/api/v2/alerts`,
    secret: { token, username: 'am', password },
  }),
});
describeNotifierContract({
  definition: grafana,
  spec: ({ url, token }) => ({ type: 'grafana', address: `${url}/api/annotations`, secret: { token } }),
});
describeNotifierContract({
  definition: pagerduty,
  spec: ({ url }) => ({ type: 'pagerduty', address: url, channel: 'routing-key' }),
});
describeNotifierContract({
  definition: datadog,
  spec: ({ url, token }) => ({ type: 'datadog', address: url, secret: { token } }),
  invalid: [{ type: 'datadog', address: 'https://api.datadoghq.com' }],
  // Datadog's API client does not retry.
  attemptsOn500: 1,
});
describeNotifierContract({
  definition: incidentio,
  spec: ({ url, token }) => ({
    type: 'incident.io',
    address: `${url}/v2/alert_events/http/x`,
    secret: { token },
  }),
  invalid: [{ type: 'incident.io', address: 'https://api.incident.io/v2/alert_events/http/x' }],
});

const REV = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const MSG = 'stored artifact for commit \\"Merge pull request #1\\"';
const WHEN = Date.UTC(2022, 8, 30, 6, 40, 29) / 1000;

describe('incident and monitoring provider requests (§5)', () => {
  const rec = useRecorder();
  const send = (spec: Parameters<typeof createNotifier>[0], event: FluxEvent) =>
    createNotifier(spec, { fetch: rec.loopback }).send(event);

  it('opsgenie: GenieKey, Kind/name, alias = sha256(uid/Kind/ns/name/reason), details + severity', async () => {
    await send(
      {
        type: 'opsgenie',
        address: 'https://api.opsgenie.com/v2/alerts',
        uid: 'prov-uid',
        secret: { token: 'gkey1234' },
      },
      infoEvent,
    );
    const alias = createHash('sha256')
      .update('prov-uid/GitRepository/flux-system/webapp/ReconciliationSucceeded')
      .digest('hex');
    expect(rec.requests()[0]!.headers.authorization).toBe('GenieKey gkey1234');
    expect(rec.requests()[0]!.text()).toBe(
      `{"message":"GitRepository/webapp","alias":"${alias}","description":"${MSG}",` +
        `"details":{"revision":"${REV}","severity":"info","summary":"Cluster: prod"}}`,
    );
    await send(
      { type: 'opsgenie', address: 'https://api.opsgenie.com/v2/alerts', secret: { token: 'gkey1234' } },
      errorEvent,
    );
    expect((rec.requests()[1]!.json() as { details: unknown }).details).toEqual({ severity: 'error' });
  });

  it('alertmanager: one firing alert, summary moved to annotations, title-cased alertname, zero endsAt', async () => {
    await send({ type: 'alertmanager', address: 'https://am.example.com/api/v2/alerts' }, infoEvent);
    expect(rec.requests()[0]!.headers.authorization).toBeUndefined();
    expect(rec.requests()[0]!.text()).toBe(
      '[{"status":"firing","labels":{"alertname":"FluxGitRepositoryReconciliationsucceeded","kind":"GitRepository",' +
        '"name":"webapp","namespace":"flux-system","reason":"ReconciliationSucceeded","reportingcontroller":"source-controller",' +
        `"revision":"${REV}","severity":"info"},"annotations":{"message":"${MSG}","summary":"Cluster: prod"},` +
        '"startsAt":"2022-09-30T06:40:29Z","endsAt":"0001-01-01T00:00:00Z"}]',
    );
  });

  it('alertmanager: Bearer for a token, only Basic when username and password exist too', async () => {
    await send(
      { type: 'alertmanager', address: 'https://am.example.com/x', secret: { token: 'amtok123' } },
      errorEvent,
    );
    expect(rec.requests()[0]!.headers.authorization).toBe('Bearer amtok123');
    await send(
      {
        type: 'alertmanager',
        address: 'https://am.example.com/x',
        secret: { token: 'amtok123', username: 'u', password: 'p' },
      },
      errorEvent,
    );
    expect(rec.requests()[1]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('grafana: when in seconds, no message, ":" → "|" in metadata tags; Bearer beats Basic', async () => {
    await send(
      {
        type: 'grafana',
        address: 'https://grafana.example.com/api/annotations',
        secret: { token: 'gtok1234', username: 'u', password: 'p' },
      },
      infoEvent,
    );
    expect(rec.requests()[0]!.headers.authorization).toBe('Bearer gtok1234');
    expect(rec.requests()[0]!.text()).toBe(
      `{"when":${WHEN},"text":"gitrepository/webapp.flux-system","tags":["flux","source-controller",` +
        '"revision: main@sha1|0123456789abcdef0123456789abcdef01234567","summary: Cluster| prod",' +
        '"kind: GitRepository","name: webapp","namespace: flux-system"]}',
    );
    await send(
      { type: 'grafana', address: 'https://g.example.com/x', secret: { username: 'u', password: 'p' } },
      errorEvent,
    );
    expect(rec.requests()[1]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('pagerduty info: resolve to /v2/enqueue, then a change event; only scheme+host of the address', async () => {
    await send(
      { type: 'pagerduty', address: 'https://events.pagerduty.com/ignored/path', channel: 'rk' },
      infoEvent,
    );
    expect(rec.urls()).toEqual([
      'https://events.pagerduty.com/v2/enqueue',
      'https://events.pagerduty.com/v2/change/enqueue',
    ]);
    expect(rec.requests()[0]!.text()).toBe(
      '{"routing_key":"rk","event_action":"resolve","dedup_key":"a1b2c3d4-0000-1111-2222-333344445555"}',
    );
    expect(rec.requests()[1]!.text()).toBe(
      '{"routing_key":"rk","payload":{"source":"Flux source-controller","summary":"reconciliation succeeded: gitrepository/webapp",' +
        `"timestamp":"2022-09-30T06:40:29Z","custom_details":{"message":"${MSG}","metadata":{"revision":"${REV}","summary":"Cluster: prod"}}},` +
        '"links":null}',
    );
  });

  it('pagerduty error: trigger with payload; Progressing skipped; no uid → no dedup_key', async () => {
    await send({ type: 'pagerduty', address: 'https://events.pagerduty.com', channel: 'rk' }, errorEvent);
    expect(rec.requests()).toHaveLength(1);
    expect(rec.requests()[0]!.text()).toBe(
      '{"routing_key":"rk","event_action":"trigger","dedup_key":"u-1","payload":{"summary":"health check failed: kustomization/podinfo",' +
        '"source":"Flux kustomize-controller","severity":"error","timestamp":"2024-05-01T10:20:30Z","component":"podinfo",' +
        '"group":"Kustomization","custom_details":{"message":"Health check failed\\nsecond line","metadata":null}}}',
    );
    await expect(
      send(
        { type: 'pagerduty', address: 'https://e.example.com', channel: 'rk' },
        { ...infoEvent, reason: 'Progressing' },
      ),
    ).resolves.toMatchObject({ skipped: true });
    expect(rec.requests()).toHaveLength(1);
    const noUid = { ...infoEvent, involvedObject: { ...infoEvent.involvedObject, uid: '' } };
    await send({ type: 'pagerduty', address: 'https://e.example.com', channel: 'rk' }, noUid);
    expect(rec.requests()[1]!.text()).toBe('{"routing_key":"rk","event_action":"resolve"}');
  });

  it('datadog: /api/v1/events on the address host, DD-API-KEY, lower-cased tags, title kept', async () => {
    await send(
      { type: 'datadog', address: 'https://api.datadoghq.eu/ignored', secret: { token: 'ddkey123' } },
      infoEvent,
    );
    expect(rec.urls()[0]).toBe('https://api.datadoghq.eu/api/v1/events');
    expect(rec.requests()[0]!.headers['dd-api-key']).toBe('ddkey123');
    expect(rec.requests()[0]!.text()).toBe(
      `{"alert_type":"info","date_happened":${WHEN},"source_type_name":"fluxcd","tags":[` +
        '"flux_reporting_controller:source-controller","flux_reason:reconciliationsucceeded","kube_kind:gitrepository",' +
        `"kube_name:webapp","kube_namespace:flux-system","revision:${REV}","summary:cluster: prod"],` +
        `"text":"${MSG}","title":"Events from the GitRepository webapp/flux-system"}`,
    );
  });

  it('incident.io: firing/resolved, dedup by uid, metadata + severity/reason/controller; Progressing skipped', async () => {
    await send(
      {
        type: 'incident.io',
        address: 'https://api.incident.io/v2/alert_events/http/x',
        secret: { token: 'itok1234' },
      },
      infoEvent,
    );
    expect(rec.requests()[0]!.headers.authorization).toBe('Bearer itok1234');
    expect(rec.requests()[0]!.text()).toBe(
      '{"title":"gitrepository/webapp.flux-system: ReconciliationSucceeded","status":"resolved",' +
        `"deduplication_key":"a1b2c3d4-0000-1111-2222-333344445555","description":"${MSG}",` +
        `"metadata":{"reason":"ReconciliationSucceeded","reportingController":"source-controller","revision":"${REV}","severity":"info","summary":"Cluster: prod"}}`,
    );
    await send(
      { type: 'incident.io', address: 'https://x.example.com', secret: { token: 'itok1234' } },
      errorEvent,
    );
    expect(rec.requests()[1]!.json()).toMatchObject({ status: 'firing', deduplication_key: 'u-1' });
    await expect(
      send(
        { type: 'incident.io', address: 'https://x.example.com', secret: { token: 'itok1234' } },
        { ...errorEvent, reason: 'Progressing' },
      ),
    ).resolves.toEqual({ skipped: true, reason: 'incident.io skips Progressing events' });
  });
});
