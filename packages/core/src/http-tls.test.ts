import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { rootCertificates, type TLSSocket } from 'node:tls';
import { freePort, requireBinary, startHttpServer, tempDir, type TempDir } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { createHttpClient, readEnvProxy, tlsConnectOptions } from './http.js';

/** A throwaway CA, a server certificate for localhost/127.0.0.1 and a client certificate it signed. */
interface Pki {
  readonly ca: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly clientKey: string;
  readonly clientCert: string;
}

function makePki(dir: string): Pki {
  const openssl = requireBinary('openssl', 'openssl');
  const run = (...args: string[]): void => {
    execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=tidewatch test CA',
  );
  const sign = (name: string, subject: string, ext: string): void => {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  sign('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sign('client', '/CN=tidewatch client', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
  };
}

let dir: TempDir;
let pki: Pki;
beforeAll(async () => {
  dir = await tempDir('tidewatch-http-tls-');
  pki = makePki(dir.path);
});
afterAll(async () => {
  await dir.cleanup();
});

describe('TLS', () => {
  it('adds a custom CA to the system roots instead of replacing them', () => {
    const opts = tlsConnectOptions({ ca: pki.ca }, rootCertificates);
    const ca = opts.ca as string[];
    expect(rootCertificates.length).toBeGreaterThan(50);
    expect(ca).toHaveLength(rootCertificates.length + 1);
    expect(ca.slice(0, rootCertificates.length)).toEqual([...rootCertificates]);
    expect(ca.at(-1)).toBe(pki.ca);
    // Without a custom CA, undici keeps Node's defaults untouched.
    expect(tlsConnectOptions({}, rootCertificates)).toEqual({});
  });

  it('trusts a server signed by a custom CA, and refuses it (not retryable) without the CA', async () => {
    const srv = await startHttpServer((_req, res) => void res.end('secure'), {
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
    try {
      const res = await createHttpClient({ tls: { ca: [pki.ca] } }).request({ url: `${srv.url}/v2/` });
      expect(res.text()).toBe('secure');
      expect(srv.url.startsWith('https://')).toBe(true);

      const sleeps: number[] = [];
      const err = await createHttpClient({
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      })
        .request({ url: `${srv.url}/v2/` })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).code).toBe('HTTP_NETWORK');
      expect((err as HttpError).retryable).toBe(false);
      expect((err as HttpError).message).toMatch(/certificate|CERT/i);
      expect(sleeps).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('times out a TLS handshake that never completes', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((sock) => {
      sockets.push(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const err = await createHttpClient({ tls: { ca: pki.ca }, timeoutMs: 200, retries: 0 })
        .request({ url: `https://127.0.0.1:${port}/` })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).code).toBe('HTTP_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('accepts any certificate with insecureSkipVerify', async () => {
    const srv = await startHttpServer((_req, res) => void res.end('lab'), {
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
    try {
      const res = await createHttpClient({ tls: { insecureSkipVerify: true } }).request({ url: srv.url });
      expect(res.text()).toBe('lab');
    } finally {
      await srv.close();
    }
  });

  it('presents a client certificate (mutual TLS) and keeps the connection alive', async () => {
    const ports = new Set<number>();
    const server: HttpsServer = createHttpsServer(
      { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        ports.add(req.socket.remotePort ?? 0);
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(String(peer.subject?.CN));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const http = createHttpClient({ tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
      for (let i = 0; i < 5; i++) {
        const res = await http.request({ url: `https://localhost:${port}/${i}` });
        expect(res.text()).toBe('tidewatch client');
      }
      expect(ports.size).toBeLessThanOrEqual(2);

      const noCert = await createHttpClient({ tls: { ca: pki.ca }, retries: 0 })
        .request({ url: `https://localhost:${port}/` })
        .catch((e: unknown) => e);
      expect(noCert).toBeInstanceOf(HttpError);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** A CONNECT proxy that sends every tunnel to 127.0.0.1 (so that test host names need no DNS). */
async function startConnectProxy(): Promise<{
  port: number;
  connects: { target: string; auth: string | undefined }[];
  close(): Promise<void>;
}> {
  const connects: { target: string; auth: string | undefined }[] = [];
  const sockets: Socket[] = [];
  const proxy = createHttpServer();
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    connects.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const port = Number((req.url ?? '').split(':').at(-1));
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.push(client, upstream);
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as { port: number }).port,
    connects,
    close: async () => {
      for (const s of sockets) s.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe('proxy', () => {
  it('tunnels through an HTTP proxy with credentials, and keeps them out of errors', async () => {
    const proxy = await startConnectProxy();
    const target = await startHttpServer((_req, res) => void res.end('via proxy'), {
      tls: { key: pki.serverKey, cert: pki.serverCert },
    });
    try {
      const http = createHttpClient({
        proxy: `http://proxyuser:proxy-pass-42@127.0.0.1:${proxy.port}`,
        tls: { ca: pki.ca },
        timeoutMs: 3000,
      });
      const res = await http.request({ url: `${target.url}/v2/` });
      expect(res.text()).toBe('via proxy');
      expect(proxy.connects[0]?.target).toBe(`127.0.0.1:${target.port}`);
      expect(proxy.connects[0]?.auth).toBe(
        `Basic ${Buffer.from('proxyuser:proxy-pass-42').toString('base64')}`,
      );

      // A refused upstream: the error must not show the proxy password.
      const closed = await freePort();
      const err = await http
        .request({ url: `https://127.0.0.1:${closed}/`, retries: 0 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).code).toBe('HTTP_NETWORK');
      const all = `${(err as Error).message}\n${JSON.stringify(err)}\n${String((err as Error).cause)}`;
      expect(all).not.toContain('proxy-pass-42');
    } finally {
      await proxy.close();
      await target.close().catch(() => {});
    }
  });

  it('reads proxies from the environment like Go: upper case first, scheme optional, loopback never proxied', () => {
    expect(readEnvProxy({})).toBeUndefined();
    expect(
      readEnvProxy({ HTTPS_PROXY: 'proxy.corp:3128', https_proxy: 'http://other:1', no_proxy: '.internal' }),
    ).toEqual({ httpsProxy: 'http://proxy.corp:3128', noProxy: '.internal,localhost,127.0.0.1,[::1]' });
    expect(readEnvProxy({ http_proxy: 'http://p:8080', NO_PROXY: '' })).toEqual({
      httpProxy: 'http://p:8080',
      noProxy: 'localhost,127.0.0.1,[::1]',
    });
  });

  it('uses HTTP_PROXY from the environment, honouring NO_PROXY, unless a fetch is injected', async () => {
    const proxy = await startConnectProxy();
    const target = await startHttpServer((req, res) => void res.end(`hello ${String(req.headers.host)}`));
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = `http://envuser:env-pass-77@127.0.0.1:${proxy.port}`;
      process.env.NO_PROXY = '127.0.0.2';
      const http = createHttpClient({ timeoutMs: 3000 });
      // A name only the proxy can reach (it maps every tunnel to 127.0.0.1).
      const res = await http.request({ url: `http://registry.test:${target.port}/v2/` });
      expect(res.text()).toBe(`hello registry.test:${target.port}`);
      expect(proxy.connects.map((c) => c.target)).toEqual([`registry.test:${target.port}`]);
      expect(proxy.connects[0]?.auth).toBe(`Basic ${Buffer.from('envuser:env-pass-77').toString('base64')}`);
      // Loopback goes direct.
      await http.request({ url: `${target.url}/direct` });
      expect(proxy.connects).toHaveLength(1);
      // NO_PROXY goes direct too (nothing listens on 127.0.0.2, so it fails without the proxy being asked).
      const err = await http
        .request({ url: `http://127.0.0.2:${target.port}/`, retries: 0 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect(proxy.connects).toHaveLength(1);
      expect(JSON.stringify(err) + String(err)).not.toContain('env-pass-77');
      // An injected fetch is used as given.
      const viaInjected = await createHttpClient({
        fetch: () => Promise.resolve(new Response('injected')),
      }).request({ url: `http://registry.test:${target.port}/` });
      expect(viaInjected.text()).toBe('injected');
      expect(proxy.connects).toHaveLength(1);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await proxy.close();
      await target.close();
    }
  });
});
