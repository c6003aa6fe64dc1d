/**
 * The contract every notification provider passes. A provider's test file calls
 * {@link describeNotifierContract} once with its definition and a valid spec; the suite checks the
 * definition's shape, validation (every problem at once), suspension, and, for HTTP providers,
 * delivery against a real loopback server: success, 500 forever (bounded retries), 4xx (no
 * retry), a server that never answers (provider timeout), a closed connection, caller abort, and
 * that no secret appears in any error.
 *
 * Every request is routed to the loopback server by an injected `fetch` that rewrites the origin,
 * so fixed-host APIs (Telegram, PagerDuty, GitHub…) are covered too.
 */
import { ConfigError, TidewatchError } from '@tidewatch/core';
import type { FetchLike } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { RecordedRequest, TestHttpServer } from '@tidewatch/testkit';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier } from '../src/index.js';
import type { FluxEvent, NotifierDefinition, ProviderSpec } from '../src/index.js';

/** A secret token value the contract plants in every spec and then looks for in errors. */
export const CONTRACT_TOKEN = 'contract-S3CRET-t0ken-9f8e7d';
/** A secret password value planted likewise. */
export const CONTRACT_PASSWORD = 'contract-pa55word-Q1w2E3';

/** An ordinary error event most providers send (not skipped). */
export const contractEvent: FluxEvent = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'webapp',
    uid: '0c9c2e41-1111-2222-3333-444455556666',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'error',
  timestamp: '2024-05-01T10:20:30Z',
  message: 'Health check failed after 5m0s: timeout',
  reason: 'HealthCheckFailed',
  metadata: {
    revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    commit: '0123456789abcdef0123456789abcdef01234567',
    change_request: '42',
  },
  reportingController: 'kustomize-controller',
  reportingInstance: 'kustomize-controller-7d9f',
};

/** What the contract needs from a provider test. */
export interface NotifierContractCase {
  /** The definition under test. */
  readonly definition: NotifierDefinition;
  /**
   * A valid spec. `url` is the loopback server's base URL (use it as the address); `token` and
   * `password` are secrets the contract checks never leak.
   */
  spec(ctx: { readonly url: string; readonly token: string; readonly password: string }): ProviderSpec;
  /** An event the provider sends (not skips). @default contractEvent */
  readonly event?: FluxEvent;
  /** Specs that must be rejected with a `ConfigError`. */
  readonly invalid?: readonly ProviderSpec[];
  /** Whether the delivery checks over HTTP run. @default true */
  readonly http?: boolean;
  /** Requests seen when the endpoint answers 500 forever (retry policy: 2 retries in the suite). @default 3 */
  readonly attemptsOn500?: number;
  /** Answers a request in the "healthy" phase. @default 200 with `[]` for GET, `{}` otherwise */
  readonly respond?: (req: RecordedRequest, res: ServerResponse) => void;
}

type Mode = 'ok' | 'fail500' | 'fail400' | 'hang' | 'close';

/** Registers the shared contract for one provider. */
export function describeNotifierContract(c: NotifierContractCase): void {
  const { definition } = c;
  const event = c.event ?? contractEvent;

  describe(`notifier contract: ${definition.id}`, () => {
    it('has a plain-data definition with a type id and redacted secret fields', () => {
      expect(definition.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
      expect(JSON.parse(JSON.stringify(definition.capabilities))).toEqual(definition.capabilities);
      expect(['http', 'nats', 'grpc', 'amqp', 'sdk']).toContain(definition.capabilities.transport);
      expect(['commit-status', 'change-request', 'generic', 'default']).toContain(
        definition.capabilities.gate,
      );
      expect(definition.secretFields).toEqual(expect.arrayContaining(['token', 'password']));
    });

    it('rejects a non-object and reports every problem at once', () => {
      expect(() => definition.parseOptions('nope')).toThrow(ConfigError);
      const valid = c.spec({ url: 'http://127.0.0.1:9', token: CONTRACT_TOKEN, password: CONTRACT_PASSWORD });
      try {
        definition.parseOptions({ ...valid, timeout: 'soon', suspend: 'yes' });
        expect.fail('expected a ConfigError');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        const paths = (err as ConfigError).problems.map((p) => p.path);
        expect(paths).toEqual(expect.arrayContaining(['timeout', 'suspend']));
        expect((err as Error).message).toContain(`[notify:${definition.id}]`);
        expect((err as Error).message).not.toContain(CONTRACT_TOKEN);
      }
    });

    it('accepts the valid spec', () => {
      const valid = c.spec({ url: 'http://127.0.0.1:9', token: CONTRACT_TOKEN, password: CONTRACT_PASSWORD });
      expect(() => createNotifier(valid)).not.toThrow();
    });

    for (const [i, bad] of (c.invalid ?? []).entries()) {
      it(`rejects invalid spec #${i + 1} with a ConfigError`, () => {
        expect(() => createNotifier(bad)).toThrow(ConfigError);
      });
    }

    it('sends nothing while suspended', async () => {
      let calls = 0;
      const fetch: FetchLike = () => {
        calls++;
        return Promise.resolve(new Response('{}'));
      };
      const valid = c.spec({ url: 'http://127.0.0.1:9', token: CONTRACT_TOKEN, password: CONTRACT_PASSWORD });
      const n = createNotifier({ ...valid, suspend: true }, { fetch });
      await expect(n.send(event)).resolves.toMatchObject({ skipped: true });
      expect(calls).toBe(0);
    });

    if (c.http === false) return;

    describe('over HTTP (loopback)', () => {
      let server: TestHttpServer;
      let mode: Mode = 'ok';
      let loopback: FetchLike;

      beforeAll(async () => {
        server = await startHttpServer((req, res, raw) => {
          switch (mode) {
            case 'ok':
              if (c.respond) return c.respond(req, res);
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(req.method === 'GET' ? '[]' : '{}');
              return;
            case 'fail500':
              res.writeHead(500, { 'content-type': 'text/plain' });
              res.end(`boom for ${CONTRACT_TOKEN.slice(0, 3)}`);
              return;
            case 'fail400':
              res.writeHead(400, { 'content-type': 'text/plain' });
              res.end('bad request');
              return;
            case 'hang':
              return; // never answer
            case 'close':
              raw.socket.destroy();
              return;
          }
        });
        // Route every request (fixed hosts included) to the loopback server.
        loopback = (input, init) => {
          const original = new URL(input instanceof Request ? input.url : String(input));
          const target = new URL(server.url);
          original.protocol = target.protocol;
          original.host = target.host;
          return globalThis.fetch(original, init);
        };
      });
      afterAll(async () => {
        await server.close();
      });

      const make = (extra: Partial<ProviderSpec> = {}) =>
        createNotifier(
          { ...c.spec({ url: server.url, token: CONTRACT_TOKEN, password: CONTRACT_PASSWORD }), ...extra },
          { fetch: loopback, retry: { retries: 2, baseMs: 5, maxMs: 20 } },
        );

      const expectNoSecret = (err: unknown): void => {
        let e: unknown = err;
        while (e instanceof Error) {
          expect(e.message).not.toContain(CONTRACT_TOKEN);
          expect(e.message).not.toContain(CONTRACT_PASSWORD);
          e = e.cause;
        }
        expect(JSON.stringify(err)).not.toContain(CONTRACT_TOKEN);
      };

      it('delivers an event to a healthy endpoint', async () => {
        mode = 'ok';
        server.requests.length = 0;
        await expect(make().send(event)).resolves.toEqual({ skipped: false });
        expect(server.requests.length).toBeGreaterThanOrEqual(1);
      });

      it('gives up after bounded retries on 500 forever, with a typed retryable error', async () => {
        mode = 'fail500';
        server.requests.length = 0;
        const err = await make()
          .send(event)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(TidewatchError);
        expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
        expect((err as TidewatchError).retryable).toBe(true);
        expect((err as Error).message).toContain(`[notify:${definition.id}]`);
        // 1 attempt + 2 retries of the one failing request.
        expect(server.requests.length).toBe(c.attemptsOn500 ?? 3);
        expectNoSecret(err);
      });

      it('does not retry a 4xx', async () => {
        mode = 'fail400';
        server.requests.length = 0;
        const err = await make()
          .send(event)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
        expect((err as TidewatchError).retryable).toBe(false);
        expect(server.requests.length).toBe(1);
        expectNoSecret(err);
      });

      it('fails within the provider timeout when the endpoint never answers', async () => {
        mode = 'hang';
        const t0 = Date.now();
        const err = await make({ timeout: '300ms' })
          .send(event)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(Date.now() - t0).toBeLessThan(3000);
        expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
        expect((err as TidewatchError).retryable).toBe(true);
        expectNoSecret(err);
      });

      it('gives a typed error when the connection is closed', async () => {
        mode = 'close';
        const err = await make()
          .send(event)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
        expectNoSecret(err);
      });

      it('stops at once when the caller aborts', async () => {
        mode = 'hang';
        const ac = new AbortController();
        const p = make().send(event, { signal: ac.signal });
        setTimeout(() => ac.abort(), 50);
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((err as TidewatchError).code).toBe('ABORTED');
      });
    });
  });
}
