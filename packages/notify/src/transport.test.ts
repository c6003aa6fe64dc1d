import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '@tidewatch/core';
import { startHttpServer, tempDir } from '@tidewatch/testkit';
import type { TempDir, TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('provider TLS (certSecret) against a real HTTPS loopback server', () => {
  let dir: TempDir;
  let server: TestHttpServer;
  let ca: string;
  beforeAll(async () => {
    dir = await tempDir();
    const p = (f: string): string => join(dir.path, f);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        p('ca.key'),
        '-out',
        p('ca.crt'),
        '-days',
        '2',
        '-subj',
        '/CN=notify-test-ca',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        p('tls.key'),
        '-out',
        p('tls.csr'),
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1' > ${p('ext')}`]);
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        p('tls.csr'),
        '-CA',
        p('ca.crt'),
        '-CAkey',
        p('ca.key'),
        '-CAcreateserial',
        '-out',
        p('tls.crt'),
        '-days',
        '2',
        '-extfile',
        p('ext'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(p('ca.crt'), 'utf8');
    server = await startHttpServer(
      (_req, res) => {
        res.writeHead(200);
        res.end();
      },
      { tls: { key: readFileSync(p('tls.key')), cert: readFileSync(p('tls.crt')) } },
    );
  });
  afterAll(async () => {
    await server.close();
    await dir.cleanup();
  });

  it('a provider with TLS support trusts certSecret ca.crt', async () => {
    await expect(
      createNotifier({ type: 'slack', address: `${server.url}/x`, certSecret: { 'ca.crt': ca } }).send(event),
    ).resolves.toEqual({ skipped: false });
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('without the CA the TLS handshake fails with a typed error', async () => {
    const err = await createNotifier({ type: 'slack', address: `${server.url}/x` }, { retry: { retries: 0 } })
      .send(event)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(err?.code).toBe('NOTIFY_DELIVERY');
  });

  it('a type without TLS support (discord) ignores certSecret, as Flux does', async () => {
    const err = await createNotifier(
      { type: 'discord', address: `${server.url}/x`, certSecret: { 'ca.crt': ca } },
      { retry: { retries: 0 } },
    )
      .send(event)
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(err?.code).toBe('NOTIFY_DELIVERY');
  });

  it('a client certificate needs both tls.crt and tls.key', () => {
    expect(() =>
      createNotifier({ type: 'slack', address: server.url, certSecret: { 'tls.crt': 'x' } }),
    ).toThrow(ConfigError);
  });
});

describe('provider proxy against a real CONNECT proxy on loopback', () => {
  let target: TestHttpServer;
  let proxy: Server;
  let proxyUrl: string;
  const tunnels: string[] = [];
  beforeAll(async () => {
    target = await startHttpServer((_req, res) => {
      res.writeHead(200);
      res.end();
    });
    proxy = createServer((req, res) => {
      // Plain absolute-form forwarding, in case the client does not tunnel.
      tunnels.push(`GET ${req.url ?? ''}`);
      const up = httpRequest(req.url ?? '', { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(`CONNECT ${req.url ?? ''}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await target.close();
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  it('spec.proxy is used by proxy-capable types', async () => {
    tunnels.length = 0;
    await createNotifier({ type: 'generic', address: `${target.url}/hook`, proxy: proxyUrl }).send(event);
    expect(tunnels.length).toBeGreaterThanOrEqual(1);
    expect(tunnels[0]).toContain(`127.0.0.1:${target.port}`);
    expect(target.requests).toHaveLength(1);
  });

  it('proxySecret wins over the Secret proxy and spec.proxy', async () => {
    tunnels.length = 0;
    await createNotifier({
      type: 'generic',
      address: `${target.url}/hook`,
      proxy: 'http://127.0.0.1:9',
      secret: { proxy: 'http://127.0.0.1:9' },
      proxySecret: { address: proxyUrl },
    }).send(event);
    expect(tunnels.length).toBeGreaterThanOrEqual(1);
  });

  it('lark ignores the proxy, as Flux does', async () => {
    tunnels.length = 0;
    await createNotifier({ type: 'lark', address: `${target.url}/hook`, proxy: proxyUrl }).send(event);
    expect(tunnels).toHaveLength(0);
  });

  it('a socks5 proxy is refused by the HTTP client: ConfigError', () => {
    expect(() =>
      createNotifier({
        type: 'generic',
        address: target.url,
        proxySecret: { address: 'socks5://127.0.0.1:1080' },
      }),
    ).toThrow(ConfigError);
  });
});
