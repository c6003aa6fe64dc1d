/**
 * Test harness of the git forge providers: a recording loopback "forge" whose answers each test
 * scripts by method and path, a `fetch` that routes fixed API hosts (api.github.com,
 * api.bitbucket.org) to it, and the events the forge tests send.
 */
import type { FetchLike } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { RecordedRequest, TestHttpServer } from '@tidewatch/testkit';
import { createNotifier } from '../src/index.js';
import type { FluxEvent, NotifierHandle, ProviderSpec } from '../src/index.js';

/** A 40-hex commit used by the forge tests. */
export const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738';
/** A Provider UID; its first segment is `0c9c2e41`. */
export const PROVIDER_UID = '0c9c2e41-d2f9-4f9b-9c41-2ea5ad35a1f0';

/** The success event that opens the commit-status gate (`commit_status=update`, merged metadata). */
export const successEvent: FluxEvent = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'webapp',
    uid: 'a1b2c3d4-0000-1111-2222-333344445555',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: '2024-05-01T10:20:30Z',
  message: 'Reconciliation finished in 2s, next run in 10m',
  reason: 'ReconciliationSucceeded',
  metadata: { revision: `main@sha1:${SHA}`, commit_status: 'update' },
  reportingController: 'kustomize-controller',
};

/** Returns a copy of {@link successEvent} with changes. */
export function eventWith(changes: Partial<FluxEvent>): FluxEvent {
  return { ...successEvent, ...changes };
}

/** A scripted answer. */
export interface Answer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
}

/** A loopback forge: `answers` maps `"<METHOD> <path-prefix>"` to an answer (longest prefix wins). */
export interface FakeForge {
  readonly server: TestHttpServer;
  readonly url: string;
  /** Requests seen since the last {@link reset}. */
  readonly requests: RecordedRequest[];
  /** `fetch` that sends every request (any host) to this server. */
  readonly fetch: FetchLike;
  /** Scripts the answers and clears recorded requests. */
  reset(answers?: Readonly<Record<string, Answer>>): void;
  /** `"METHOD path"` of every request. */
  calls(): string[];
  close(): Promise<void>;
  /** A notifier over this forge with no retry waits. */
  notifier(spec: ProviderSpec): NotifierHandle;
}

/** Starts a {@link FakeForge}. */
export async function startFakeForge(): Promise<FakeForge> {
  let answers: Readonly<Record<string, Answer>> = {};
  const server = await startHttpServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    const match = Object.keys(answers)
      .filter((k) => key.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    const answer: Answer = match !== undefined ? answers[match]! : { json: req.method === 'GET' ? [] : {} };
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(answer.text ?? JSON.stringify(answer.json ?? {}));
  });
  const fetch: FetchLike = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const target = new URL(server.url);
    url.protocol = target.protocol;
    url.host = target.host;
    return globalThis.fetch(url, init);
  };
  const forge: FakeForge = {
    server,
    url: server.url,
    get requests() {
      return server.requests;
    },
    fetch,
    reset(next = {}) {
      answers = next;
      server.requests.length = 0;
    },
    calls: () => server.requests.map((r) => `${r.method} ${r.url}`),
    close: () => server.close(),
    notifier: (spec) => createNotifier(spec, { fetch, retry: { retries: 0, baseMs: 1, maxMs: 1 } }),
  };
  return forge;
}
