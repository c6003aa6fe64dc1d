/**
 * Shared test helpers for provider request assertions: a recording loopback server that answers
 * 200, and events.
 */
import { startHttpServer } from '@tidewatch/testkit';
import type { RecordedRequest, TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { FetchLike } from '@tidewatch/core';
import type { FluxEvent } from '../src/index.js';

/** An info event with metadata. */
export const infoEvent: FluxEvent = {
  involvedObject: {
    kind: 'GitRepository',
    namespace: 'flux-system',
    name: 'webapp',
    uid: 'a1b2c3d4-0000-1111-2222-333344445555',
    apiVersion: 'source.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: '2022-09-30T06:40:29Z',
  message: 'stored artifact for commit "Merge pull request #1"',
  reason: 'ReconciliationSucceeded',
  metadata: { revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567', summary: 'Cluster: prod' },
  reportingController: 'source-controller',
  reportingInstance: 'source-controller-xyz',
};

/** An error event without metadata. */
export const errorEvent: FluxEvent = {
  involvedObject: { kind: 'Kustomization', namespace: 'apps', name: 'podinfo', uid: 'u-1' },
  severity: 'error',
  timestamp: '2024-05-01T10:20:30Z',
  message: 'Health check failed\nsecond line',
  reason: 'HealthCheckFailed',
  reportingController: 'kustomize-controller',
};

/** A recording server answering 200 `{}` (or via `respond`), reset before each test. */
export function useRecorder(respond?: (req: RecordedRequest) => { status: number; body: string }): {
  readonly server: () => TestHttpServer;
  readonly requests: () => RecordedRequest[];
  /** A fetch that sends every request (any host) to the server. */
  readonly loopback: FetchLike;
  /** The original URLs `loopback` was called with. */
  readonly urls: () => string[];
} {
  let server: TestHttpServer;
  const urls: string[] = [];
  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const r = respond ? respond(req) : { status: 200, body: '{}' };
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    urls.length = 0;
  });
  return {
    server: () => server,
    requests: () => server.requests,
    urls: () => urls,
    loopback: (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      urls.push(u.toString());
      const t = new URL(server.url);
      u.protocol = t.protocol;
      u.host = t.host;
      return globalThis.fetch(u, init);
    },
  };
}
