/**
 * The built-in transport (a handler on undici's `dispatch()` API) must behave as `fetch` did for
 * everything the client relies on: content decoding, the body rules for strings and forms, repeated
 * headers, informational responses, cut connections, and a replaced global `fetch` still being
 * honoured. (http-thread.test.ts runs this file again with the transport on its thread.)
 */
import type { Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { startHttpServer, startRawServer, type TestHttpServer } from '@tidewatch/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError } from './errors.js';
import { createHttpClient } from './http.js';
import {
  ACCEPT_ENCODING,
  AttemptSignal,
  RequestHeaders,
  createDispatcher,
  undiciTransport,
} from './http-transport.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.unstubAllGlobals();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(handler: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer> {
  const srv = await startHttpServer(handler);
  cleanups.push(() => srv.close());
  return srv;
}

async function rawServer(onSocket: (sock: Socket) => void): Promise<string> {
  const srv = await startRawServer(onSocket);
  cleanups.push(() => srv.close());
  return srv.url;
}

const client = (): ReturnType<typeof createHttpClient> =>
  createHttpClient({ retries: 0, backoff: { baseMs: 0, maxMs: 0 } });

const JSON_TEXT = JSON.stringify({ tags: Array.from({ length: 200 }, (_, i) => `v1.${i}.0`) });

describe('built-in transport: content decoding', () => {
  it.each([
    ['gzip', gzipSync(JSON_TEXT)],
    ['x-gzip', gzipSync(JSON_TEXT)],
    ['deflate', deflateSync(JSON_TEXT)],
    ['br', brotliCompressSync(JSON_TEXT)],
    ['GZIP', gzipSync(JSON_TEXT)],
  ])('decodes Content-Encoding: %s', async (coding, encoded) => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': coding, 'content-length': String(encoded.length) });
      res.end(encoded);
    });
    const res = await client().request({ url: srv.url });
    expect(res.text()).toBe(JSON_TEXT);
  });

  it('decodes two codings, the last one applied first', async () => {
    const encoded = brotliCompressSync(gzipSync(JSON_TEXT));
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip, br' });
      res.end(encoded);
    });
    const res = await client().request({ url: srv.url });
    expect(res.text()).toBe(JSON_TEXT);
  });

  it('passes a body with an unknown coding through as it came', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'x-unknown' });
      res.end('as-is');
    });
    const res = await client().request({ url: srv.url });
    expect(res.text()).toBe('as-is');
  });

  it('fails a corrupt gzip body with a typed network error, not a crash', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(Buffer.from('this is not gzip at all, not even close'));
    });
    const err = await client()
      .request({ url: srv.url })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('HTTP_NETWORK');
  });

  it('caps decoded bytes of a chunked brotli bomb', async () => {
    const bomb = brotliCompressSync(Buffer.alloc(8 * 1024 * 1024, 0x61));
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'br' });
      res.end(bomb);
    });
    const err = await createHttpClient({ retries: 0, maxBodyBytes: 64 * 1024 })
      .request({ url: srv.url })
      .catch((e: unknown) => e);
    expect((err as HttpError).code).toBe('HTTP_BODY_TOO_LARGE');
  });

  it('does not try to decode a 204 that names a coding', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(204, { 'content-encoding': 'gzip' });
      res.end();
    });
    const res = await client().request({ url: srv.url });
    expect(res.status).toBe(204);
    expect(res.body.byteLength).toBe(0);
  });
});

describe('built-in transport: what goes on the wire', () => {
  it(`announces ${ACCEPT_ENCODING} unless the request sets Accept-Encoding`, async () => {
    const srv = await server((_req, res) => void res.end('ok'));
    await client().request({ url: srv.url });
    await client().request({ url: srv.url, headers: { 'Accept-Encoding': 'identity' } });
    expect(srv.requests[0]?.headers['accept-encoding']).toBe(ACCEPT_ENCODING);
    expect(srv.requests[1]?.headers['accept-encoding']).toBe('identity');
  });

  it('sends a URLSearchParams body as a form, and a string as text, as fetch does', async () => {
    const srv = await server((_req, res) => void res.end('ok'));
    await client().request({
      url: srv.url,
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', scope: 'repository:a/b:pull' }),
    });
    await client().request({ url: srv.url, method: 'POST', body: 'hello' });
    await client().request({
      url: srv.url,
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(srv.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(srv.requests[0]?.text()).toBe('grant_type=refresh_token&scope=repository%3Aa%2Fb%3Apull');
    expect(srv.requests[1]?.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(srv.requests[1]?.headers['content-length']).toBe('5');
    expect(srv.requests[2]?.headers['content-type']).toBe('application/json');
  });

  it('keeps every value of a repeated response header', async () => {
    const srv = await server((_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('link', '</v2/x/tags/list?last=a>; rel="next"');
      res.end('ok');
    });
    const res = await client().request({ url: srv.url });
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('link')).toBe('</v2/x/tags/list?last=a>; rel="next"');
  });

  it('reports a connection cut before the declared length as a retryable network error', async () => {
    let served = 0;
    const url = await rawServer((sock) => {
      sock.once('data', () => {
        served++;
        sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n' + 'x'.repeat(10));
        setTimeout(() => sock.destroy(), 20);
      });
    });
    const err = await createHttpClient({ retries: 1, backoff: { baseMs: 0, maxMs: 0 } })
      .request({ url })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('HTTP_NETWORK');
    expect((err as HttpError).retryable).toBe(true);
    expect(served).toBe(2);
  });

  it('skips informational (1xx) responses and answers the final one', async () => {
    const url = await rawServer((sock) => {
      sock.once('data', () =>
        sock.end(
          'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n' +
            'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-final: yes\r\n\r\nfinal',
        ),
      );
    });
    const res = await client().request({ url });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-final')).toBe('yes');
    expect(res.headers.has('link')).toBe(false);
    expect(res.text()).toBe('final');
  });

  it('holds a body nobody asked for yet, pausing past 64 KiB, and reads it whole afterwards', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const srv = await server((_req, res) => void res.end(big));
    const send = undiciTransport(await createDispatcher({}));
    // No readCap: the transport cannot know the client will read the body.
    const res = await send({
      url: new URL(srv.url),
      method: 'GET',
      headers: new RequestHeaders(),
      body: undefined,
      signal: new AttemptSignal(),
    });
    await new Promise((ok) => setTimeout(ok, 100));
    const body = await res.read(2 * 1024 * 1024, (p) => p);
    expect(body.byteLength).toBe(big.byteLength);
    // The same, thrown away: a long body is dropped with its connection, without waiting for it.
    const again = await send({
      url: new URL(srv.url),
      method: 'GET',
      headers: new RequestHeaders(),
      body: undefined,
      signal: new AttemptSignal(),
    });
    await again.discard(64 * 1024, (p) => p);
  });

  it('fails a request the transport cannot build once, without retrying', async () => {
    const srv = await server((_req, res) => void res.end('ok'));
    const err = await createHttpClient({ retries: 3, backoff: { baseMs: 0, maxMs: 0 } })
      .request({ url: srv.url, headers: { 'keep-alive': 'timeout=5' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('HTTP_NETWORK');
    expect((err as HttpError).retryable).toBe(false);
    expect(srv.requests).toHaveLength(0);
  });

  it('uses a global fetch that something else replaced (msw, a test stub), and undici again once restored', async () => {
    const srv = await server((_req, res) => void res.end('from the server'));
    const seen: string[] = [];
    const original = globalThis.fetch;
    vi.stubGlobal('fetch', (input: string | URL, init?: RequestInit) => {
      seen.push(String(input));
      return original(input, init);
    });
    const http = client();
    expect((await http.request({ url: `${srv.url}/a` })).text()).toBe('from the server');
    vi.unstubAllGlobals();
    expect((await http.request({ url: `${srv.url}/b` })).text()).toBe('from the server');
    expect(seen).toEqual([`${srv.url}/a`]);
    expect(srv.requests.map((r) => r.url)).toEqual(['/a', '/b']);
  });
});
