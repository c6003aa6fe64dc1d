/**
 * Notify benchmark: dispatch 10,000 events through 20 Alerts (each routing one object to its own
 * `generic` provider) to loopback webhooks, 64 events in flight, with everything the dispatcher
 * does per event: metadata clean-up, SHA-256 dedupe key on the in-memory store, matching against
 * all 20 Alerts (RE2 inclusion/exclusion lists), the metadata merge, Go-encoded JSON, the retrying
 * HTTP client under the provider timeout.
 *
 * Floor, measured in the same run: the same 10,000 POSTs (same URLs, bodies and headers, built
 * beforehand) from a bare keep-alive `fetch` loop with 64 workers. Target: ≤ 1.5×.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDispatcher, encodeEvent } from '@tidewatch/notify';
import type { AlertSpec, FluxEvent, ProviderSpec } from '@tidewatch/notify';
import { compare, type BenchFigure, type Benchmark } from './lib.js';

const EVENTS = 10_000;
const ALERTS = 20;
const CONCURRENCY = 64;

// The webhook receiver runs in its own process so that its work is billed to neither side.
const SERVER_ENV = 'TIDEWATCH_NOTIFY_BENCH_SERVER';
if (process.env[SERVER_ENV] === '1') {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SERVER_ENV]: '1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`webhook server exited with ${code}`)));
  });
  return { url, stop: () => child.disconnect() };
}

function makeEvents(run: number): FluxEvent[] {
  const events: FluxEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    events.push({
      involvedObject: {
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: `app-${i % ALERTS}`,
        uid: `uid-${i % ALERTS}`,
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      },
      severity: i % 10 === 0 ? 'error' : 'info',
      timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)),
      // A distinct message per event and run: no event is a duplicate.
      message: `Reconciliation finished in ${i}ms, run ${run}, next run in 10m`,
      reason: 'ReconciliationSucceeded',
      metadata: {
        'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${(i * 2654435761).toString(16).padStart(40, '0').slice(0, 40)}`,
        'kustomize.toolkit.fluxcd.io/token': `t${i}`,
        'event.toolkit.fluxcd.io/env': 'prod',
      },
      reportingController: 'kustomize-controller',
      reportingInstance: 'kustomize-controller-abc',
    });
  }
  return events;
}

async function pool<T>(items: readonly T[], worker: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await worker(items[next++]!);
    }),
  );
}

const benchmark: Benchmark = {
  name: 'notify',
  async run(): Promise<BenchFigure[]> {
    const server = await startServer();
    try {
      const providers: ProviderSpec[] = [];
      const alerts: AlertSpec[] = [];
      for (let a = 0; a < ALERTS; a++) {
        providers.push({
          name: `hook-${a}`,
          namespace: 'flux-system',
          type: 'generic',
          address: `${server.url}/hook/${a}`,
        });
        alerts.push({
          name: `alert-${a}`,
          namespace: 'flux-system',
          providerRef: { name: `hook-${a}` },
          eventSources: [{ kind: 'Kustomization', name: `app-${a}` }],
          inclusionList: ['Reconciliation|Health'],
          exclusionList: ['^skip-me'],
          eventMetadata: { cluster: 'bench' },
        });
      }
      const dispatcher = createDispatcher({ providers, alerts });

      // Inputs for the warm-up and the timed runs are built outside the timed region.
      const RUNS = 7;
      const WARMUP = 1;
      let run = 0;
      let failures = 0;
      const eventSets = Array.from({ length: RUNS + WARMUP }, () => makeEvents(run++));
      const candidate = async (): Promise<void> => {
        const events = eventSets.shift()!;
        await pool(events, async (event) => {
          const r = await dispatcher.dispatch(event);
          if (r.deliveries.length !== 1 || r.deliveries[0]!.status !== 'sent') failures++;
        });
      };

      // The floor: exactly the bytes the providers send, prepared outside the timed region.
      const prepare = (): { url: string; body: string; headers: Record<string, string> }[] =>
        makeEvents(run++).map((e) => {
          const a = Number(e.involvedObject.name.slice(4));
          const merged: FluxEvent = {
            ...e,
            metadata: {
              env: 'prod',
              cluster: 'bench',
              revision: e.metadata!['kustomize.toolkit.fluxcd.io/revision']!,
            },
          };
          return {
            url: `${server.url}/hook/${a}`,
            body: encodeEvent(merged),
            headers: { 'Content-Type': 'application/json', 'Gotk-Component': e.reportingController },
          };
        });
      const requestSets = Array.from({ length: RUNS + WARMUP }, prepare);
      const baseline = async (): Promise<void> => {
        await pool(requestSets.shift()!, async (r) => {
          const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body });
          await res.arrayBuffer();
          if (!res.ok) failures++;
        });
      };

      const { medianMs, baselineMs } = await compare(candidate, baseline, { runs: RUNS, warmup: WARMUP });
      await dispatcher.close();
      if (failures > 0) throw new Error(`${failures} deliveries failed`);
      return [
        {
          name: `notify: dispatch ${EVENTS.toLocaleString('en')} events × ${ALERTS} alerts → loopback webhooks`,
          medianMs,
          baselineMs,
          baselineName: `bare fetch loop, ${CONCURRENCY} workers`,
          target: 1.5,
          extra: {
            'events/s': Math.round((EVENTS / medianMs) * 1000),
            'floor events/s': Math.round((EVENTS / baselineMs) * 1000),
          },
        },
      ];
    } finally {
      server.stop();
    }
  },
};

export default benchmark;
