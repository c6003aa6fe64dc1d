import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import type { Logger } from '@tidewatch/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifier } from './notifier.js';
import type { FluxEvent } from './types.js';

const event: FluxEvent = {
  involvedObject: { kind: 'Kustomization', namespace: 'apps', name: 'web' },
  severity: 'info',
  timestamp: new Date('2024-01-01T00:00:00Z'),
  message: 'ok',
  reason: 'ReconciliationSucceeded',
  reportingController: 'kustomize-controller',
};

type Step = { status: number; headers?: Record<string, string>; body?: string } | 'close';

describe('delivery under bad conditions', () => {
  let server: TestHttpServer;
  let script: Step[] = [];
  beforeAll(async () => {
    server = await startHttpServer((_req, res, raw) => {
      const step = script.shift() ?? { status: 200 };
      if (step === 'close') {
        raw.socket.destroy();
        return;
      }
      res.writeHead(step.status, step.headers ?? {});
      res.end(step.body ?? '');
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    script = [];
  });

  it('429 with Retry-After (seconds) waits that long, then succeeds', async () => {
    script = [{ status: 429, headers: { 'retry-after': '1' } }];
    const t0 = Date.now();
    await createNotifier({ type: 'generic', address: server.url }, { retry: { baseMs: 1, maxMs: 5 } }).send(
      event,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(server.requests).toHaveLength(2);
  });

  it('503 with an HTTP-date Retry-After is honoured too', async () => {
    script = [{ status: 503, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() } }];
    const t0 = Date.now();
    await createNotifier({ type: 'generic', address: server.url }, { retry: { baseMs: 1, maxMs: 5 } }).send(
      event,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(server.requests).toHaveLength(2);
  });

  it('a Retry-After beyond the provider timeout fails at once, retryable', async () => {
    script = [{ status: 429, headers: { 'retry-after': '3600' } }];
    const t0 = Date.now();
    const err = await createNotifier({ type: 'generic', address: server.url, timeout: '2s' })
      .send(event)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string; retryable: boolean },
      );
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(err).toMatchObject({ code: 'NOTIFY_DELIVERY', retryable: true });
  });

  it('a closed connection is retried like a 5xx', async () => {
    script = ['close', 'close'];
    await createNotifier({ type: 'generic', address: server.url }, { retry: { baseMs: 1, maxMs: 5 } }).send(
      event,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('with the default policy (2 s backoff) the provider timeout bounds everything', async () => {
    script = Array.from({ length: 10 }, () => ({ status: 500 }));
    const t0 = Date.now();
    const err = await createNotifier({ type: 'generic', address: server.url, timeout: '1s' })
      .send(event)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(err?.code).toBe('NOTIFY_DELIVERY');
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    // Waits are fully jittered (a random share of 2 s, 4 s, 8 s…), so how many attempts fit in the
    // second is chance (three retries do, about once in 400 runs); the retry limit bounds them.
    expect(server.requests.length).toBeLessThanOrEqual(5);
  });

  it('huge metadata, control characters and emoji are sent intact (Go escaping)', async () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) metadata[`key-${String(i).padStart(4, '0')}`] = 'x'.repeat(500);
    metadata.ctrl = '\u0000\u0001\u001f\t\n\r\b\f\u007f';
    metadata.emoji = '🚀 déjà vu <b>&</b> \u2028';
    await createNotifier({ type: 'generic', address: server.url }).send({ ...event, metadata });
    const body = server.requests[0]!.text();
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(body).toContain('"ctrl":"\\u0000\\u0001\\u001f\\t\\n\\r\\b\\f\u007f"');
    expect(body).toContain('"emoji":"🚀 déjà vu \\u003cb\\u003e\\u0026\\u003c/b\\u003e \\u2028"');
    expect((JSON.parse(body) as { metadata: Record<string, string> }).metadata).toEqual(metadata);
  });

  it('no secret reaches an error, its causes, or a log line (token in the URL path, headers, userinfo)', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
      info: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
      warn: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
      error: (m, f) => lines.push(m + JSON.stringify(f ?? {})),
    };
    const token = '987654:SECRET-bot-token-value';
    script = Array.from({ length: 5 }, () => ({ status: 500, body: `echo ${token}` }));
    const target = new URL(server.url);
    const fetch = (input: string | URL | Request, init?: RequestInit) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      u.protocol = target.protocol;
      u.host = target.host;
      return globalThis.fetch(u, init);
    };
    const err = await createNotifier(
      { type: 'telegram', channel: 'c', secret: { token } },
      { fetch, logger, retry: { retries: 2, baseMs: 1, maxMs: 2 } },
    )
      .send(event)
      .catch((e: unknown) => e);
    let e: unknown = err;
    while (e instanceof Error) {
      expect(e.message).not.toContain(token);
      expect(e.message).not.toContain('SECRET-bot');
      e = e.cause;
    }
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain('SECRET-bot');
    expect((err as Error).message).toContain('request failed with status code 500: echo ***');
  });
});
