import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { freePort, type TestHttpServer } from '@tidewatch/testkit';
import { describe, expect, it } from 'vitest';
import { AbortError, ConfigError, HttpError } from './errors.js';
import { TIDEWATCH_VERSION, createHttpClient, type HttpClientOptions } from './http.js';
import type { Logger } from './logger.js';
import { SecretRegistry } from './redact.js';
import { rawServer, server } from './test-support/servers.js';

// ---------------------------------------------------------------- helpers

/** A sleep that records the delays asked for and returns at once. */
function recordingSleep(): { delays: number[]; sleep: NonNullable<HttpClientOptions['sleep']> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

function capturingLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    lines,
    logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') },
  };
}

async function catchError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function httpError(p: Promise<unknown>): Promise<HttpError> {
  const err = await catchError(p);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

/** Everything an error exposes, cause chain included, as one string. */
function everythingIn(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 8 && e !== undefined && e !== null; i++) {
    if (e instanceof Error) {
      parts.push(e.message, e.stack ?? '', JSON.stringify(e));
      e = e.cause;
    } else {
      parts.push(JSON.stringify(e));
      break;
    }
  }
  return parts.join('\n');
}

function reply(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end(body);
}

// ---------------------------------------------------------------- basics

describe('createHttpClient: basics', () => {
  it('GETs a body, sends the default User-Agent and reports one attempt', async () => {
    const srv = await server((_req, res) =>
      reply(res, 200, '{"hello":"wörld"}', { 'content-type': 'application/json' }),
    );
    const res = await createHttpClient().request({ url: `${srv.url}/v2/` });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(1);
    expect(res.redirected).toBe(false);
    expect(res.url).toBe(`${srv.url}/v2/`);
    expect(res.json()).toEqual({ hello: 'wörld' });
    expect(res.text()).toBe('{"hello":"wörld"}');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(srv.requests[0]?.headers['user-agent']).toBe(`tidewatch/${TIDEWATCH_VERSION}`);
  });

  it('keeps TIDEWATCH_VERSION equal to the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(TIDEWATCH_VERSION).toBe(pkg.version);
  });

  it('sends method, headers and body, and lets a request set its own User-Agent', async () => {
    const srv = await server((_req, res) => reply(res, 201));
    const res = await createHttpClient({ userAgent: 'x/1' }).request({
      url: `${srv.url}/put`,
      method: 'put',
      headers: { 'content-type': 'text/plain', 'user-agent': 'mine/2' },
      body: 'payload',
    });
    expect(res.status).toBe(201);
    const rec = srv.requests[0]!;
    expect(rec.method).toBe('PUT');
    expect(rec.text()).toBe('payload');
    expect(rec.headers['user-agent']).toBe('mine/2');
  });

  it('reuses one connection for sequential requests (keep-alive)', async () => {
    const ports = new Set<number>();
    const srv = await server((_req, res, raw) => {
      ports.add(raw.socket.remotePort ?? 0);
      reply(res, 200, 'ok');
    });
    const http = createHttpClient();
    for (let i = 0; i < 8; i++) await http.request({ url: `${srv.url}/${i}` });
    expect(srv.requests).toHaveLength(8);
    // undici's pool may hand the next request to a second socket while the first is being
    // released, but connections are reused rather than opened per request.
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('returns a non-2xx response when throwOnStatus is false', async () => {
    const srv = await server((_req, res) => reply(res, 404, 'nope'));
    const res = await createHttpClient().request({ url: srv.url, throwOnStatus: false });
    expect(res.status).toBe(404);
    expect(res.text()).toBe('nope');
  });

  it('strips a UTF-8 BOM before parsing JSON', async () => {
    const srv = await server((_req, res) => reply(res, 200, '\uFEFF{"a":[1]}'));
    expect((await createHttpClient().request({ url: srv.url })).json()).toEqual({ a: [1] });
  });

  it('reports every invalid client option at once', () => {
    const err = (() => {
      try {
        createHttpClient({
          timeoutMs: 0,
          retries: -1,
          maxBodyBytes: 1.5,
          perHostConcurrency: 0,
          backoff: { factor: 0.5 },
          proxy: 'ftp://proxy',
          fetch: () => Promise.reject(new Error('x')),
          tls: { cert: 'c' },
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'backoff.factor',
        'fetch',
        'maxBodyBytes',
        'perHostConcurrency',
        'proxy',
        'retries',
        'timeoutMs',
        'tls',
      ].sort(),
    );
    expect((err as ConfigError).message).toMatch(/^\[core:http\] invalid configuration: 8 problems/);
  });

  it('rejects a relative or non-http URL with a ConfigError that hides credentials', async () => {
    const http = createHttpClient();
    const e1 = await catchError(http.request({ url: '/relative' }));
    expect(e1).toBeInstanceOf(ConfigError);
    const e2 = await catchError(http.request({ url: 'ftp://bob:hunter22@example.com/x', timeoutMs: -1 }));
    expect(e2).toBeInstanceOf(ConfigError);
    expect((e2 as ConfigError).problems.map((p) => p.path)).toEqual(['url', 'timeoutMs']);
    expect(everythingIn(e2)).not.toContain('hunter22');
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const http = createHttpClient({
      fetch: (input) => {
        seen.push(input instanceof Request ? input.url : input.toString());
        return Promise.resolve(new Response('injected', { status: 200 }));
      },
    });
    const res = await http.request({ url: 'https://registry.invalid/v2/' });
    expect(res.text()).toBe('injected');
    expect(seen).toEqual(['https://registry.invalid/v2/']);
  });
});

// ---------------------------------------------------------------- timeouts and aborts

describe('timeouts', () => {
  it('fails after timeoutMs when the server accepts and never answers, retrying each attempt', async () => {
    const raw = await rawServer(() => {});
    const { delays, sleep } = recordingSleep();
    const started = Date.now();
    const err = await httpError(
      createHttpClient({ timeoutMs: 150, retries: 2, sleep }).request({ url: `${raw.url}/x` }),
    );
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(
      `[core:http] GET ${raw.url}/x failed with http timeout: no complete response within 150 ms`,
    );
    expect(raw.count()).toBe(3);
    expect(delays).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('counts the body in the timeout: a server that stalls mid-body fails after timeoutMs', async () => {
    const raw = await rawServer((sock) => {
      sock.once('data', () => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'));
    });
    const started = Date.now();
    const err = await httpError(createHttpClient({ timeoutMs: 200, retries: 0 }).request({ url: raw.url }));
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out even when an injected transport ignores the abort signal', async () => {
    const http = createHttpClient({
      fetch: () => new Promise<Response>(() => {}),
      timeoutMs: 100,
      retries: 0,
    });
    const started = Date.now();
    const err = await httpError(http.request({ url: 'http://registry.invalid/' }));
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a per-request timeout overrides the client one', async () => {
    const raw = await rawServer(() => {});
    const err = await httpError(
      createHttpClient({ timeoutMs: 60_000 }).request({ url: raw.url, timeoutMs: 100, retries: 0 }),
    );
    expect(err.code).toBe('HTTP_TIMEOUT');
  });
});

describe('abort', () => {
  it('aborts a request in flight at once, without retrying', async () => {
    const raw = await rawServer(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    const err = await catchError(
      createHttpClient({ timeoutMs: 10_000 }).request({ url: raw.url, signal: ac.signal }),
    );
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(raw.count()).toBe(1);
  });

  it('rejects at once for an already-aborted signal, sending nothing', async () => {
    const srv = await server((_req, res) => reply(res, 200));
    const err = await catchError(createHttpClient().request({ url: srv.url, signal: AbortSignal.abort() }));
    expect(err).toBeInstanceOf(AbortError);
    expect(srv.requests).toHaveLength(0);
  });

  it('interrupts a backoff sleep at once (real timer)', async () => {
    // A Retry-After fixes the wait (a jittered backoff can be short enough to retry first when the
    // machine is busy).
    const srv = await server((_req, res) => reply(res, 503, '', { 'retry-after': '20' }));
    const ac = new AbortController();
    const http = createHttpClient();
    const p = http.request({ url: srv.url, signal: ac.signal });
    // Abort once the first 503 has arrived, i.e. during the backoff wait.
    while (srv.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    ac.abort();
    const err = await catchError(p);
    expect(err).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(500);
    expect(srv.requests).toHaveLength(1);
  });

  it('interrupts a backoff even when an injected sleep ignores the signal', async () => {
    const srv = await server((_req, res) => reply(res, 503));
    const ac = new AbortController();
    const http = createHttpClient({ sleep: () => new Promise(() => {}) });
    const p = http.request({ url: srv.url, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect(await catchError(p)).toBeInstanceOf(AbortError);
  });

  it('interrupts a body being read at once', async () => {
    const raw = await rawServer((sock) => {
      sock.once('data', () => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial'));
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await catchError(
      createHttpClient({ timeoutMs: 10_000 }).request({ url: raw.url, signal: ac.signal }),
    );
    expect(err).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

// ---------------------------------------------------------------- retries

describe('retries', () => {
  it('retries 503 with exponential, jittered backoff and succeeds', async () => {
    let n = 0;
    const srv = await server((_req, res) => (++n < 3 ? reply(res, 503, 'busy') : reply(res, 200, 'ok')));
    const { delays, sleep } = recordingSleep();
    const res = await createHttpClient({ sleep, backoff: { baseMs: 100, maxMs: 1000, factor: 3 } }).request({
      url: srv.url,
    });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(srv.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(0);
    expect(delays[1]).toBeLessThanOrEqual(300);
  });

  it('gives up after `retries` and throws a retryable HTTP_STATUS with a redacted body excerpt', async () => {
    const srv = await server((_req, res) => reply(res, 502, 'bad gateway\nupstream down'));
    const { delays, sleep } = recordingSleep();
    const err = await httpError(createHttpClient({ sleep }).request({ url: `${srv.url}/a` }));
    expect(err.code).toBe('HTTP_STATUS');
    expect(err.status).toBe(502);
    expect(err.retryable).toBe(true);
    expect(err.body).toBe('bad gateway\nupstream down');
    expect(err.message).toBe(
      `[core:http] GET ${srv.url}/a failed with status 502: bad gateway upstream down`,
    );
    expect(srv.requests).toHaveLength(4);
    // Default backoff: ceilings 500, 1000, 2000.
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => expect(d).toBeLessThanOrEqual(500 * 2 ** i));
  });

  it('bounds the jittered delays by maxMs', async () => {
    const srv = await server((_req, res) => reply(res, 500));
    const { delays, sleep } = recordingSleep();
    await httpError(
      createHttpClient({ sleep, retries: 8, backoff: { baseMs: 1000, maxMs: 3000, factor: 4 } }).request({
        url: srv.url,
      }),
    );
    expect(delays).toHaveLength(8);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(3000);
    }
  });

  it('honours Retry-After in seconds on 429', async () => {
    let n = 0;
    const srv = await server((_req, res) =>
      ++n === 1 ? reply(res, 429, '', { 'retry-after': '7' }) : reply(res, 200),
    );
    const { delays, sleep } = recordingSleep();
    const res = await createHttpClient({ sleep }).request({ url: srv.url });
    expect(res.attempts).toBe(2);
    expect(delays).toEqual([7000]);
  });

  it('honours Retry-After as an HTTP date on 503, relative to the injected clock', async () => {
    const now = Date.parse('Sun, 29 Nov 2026 12:00:00 GMT');
    let n = 0;
    const srv = await server((_req, res) =>
      ++n === 1 ? reply(res, 503, '', { 'retry-after': 'Sun, 29 Nov 2026 12:00:42 GMT' }) : reply(res, 200),
    );
    const { delays, sleep } = recordingSleep();
    await createHttpClient({ sleep, now: () => now }).request({ url: srv.url });
    expect(delays).toEqual([42_000]);
  });

  it('fails fast, retryable, when Retry-After exceeds maxRetryAfterMs', async () => {
    const srv = await server((_req, res) => reply(res, 429, 'slow down', { 'retry-after': '3600' }));
    const { delays, sleep } = recordingSleep();
    const err = await httpError(
      createHttpClient({ sleep, maxRetryAfterMs: 60_000 }).request({ url: srv.url }),
    );
    expect(err.code).toBe('HTTP_STATUS');
    expect(err.status).toBe(429);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('retry after 3600 s');
    expect(delays).toEqual([]);
    expect(srv.requests).toHaveLength(1);
  });

  it('obeys Retry-After only on 429 and 503 (as go-retryablehttp does); other statuses back off', async () => {
    let n = 0;
    const srv = await server((_req, res) =>
      ++n === 1 ? reply(res, 500, '', { 'retry-after': '3600' }) : reply(res, 200),
    );
    const { delays, sleep } = recordingSleep();
    const res = await createHttpClient({ sleep }).request({ url: srv.url });
    expect(res.attempts).toBe(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThanOrEqual(500);
  });

  it('retries a connection reset by the server', async () => {
    let n = 0;
    const srv = await server((_req, res, raw) => {
      if (++n === 1) raw.socket.destroy();
      else reply(res, 200, 'second time');
    });
    const { delays, sleep } = recordingSleep();
    const res = await createHttpClient({ sleep }).request({ url: srv.url });
    expect(res.text()).toBe('second time');
    expect(res.attempts).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('reports a refused connection as a retryable HTTP_NETWORK after the retries', async () => {
    const port = await freePort();
    const { delays, sleep } = recordingSleep();
    const err = await httpError(
      createHttpClient({ sleep, retries: 1 }).request({ url: `http://127.0.0.1:${port}/` }),
    );
    expect(err.code).toBe('HTTP_NETWORK');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.cause).toBeDefined();
    expect(delays).toHaveLength(1);
  });

  it.each([404, 501, 400])('does not retry %i', async (status) => {
    const srv = await server((_req, res) => reply(res, status, 'no'));
    const { delays, sleep } = recordingSleep();
    const err = await httpError(createHttpClient({ sleep }).request({ url: srv.url }));
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(false);
    expect(srv.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('does not retry a POST unless it is marked idempotent', async () => {
    const srv = await server((_req, res) => reply(res, 503));
    const { sleep } = recordingSleep();
    const http = createHttpClient({ sleep });
    const err = await httpError(http.request({ url: srv.url, method: 'POST', body: 'x' }));
    expect(err.status).toBe(503);
    expect(srv.requests).toHaveLength(1);
    await httpError(http.request({ url: srv.url, method: 'POST', body: 'x', idempotent: true, retries: 2 }));
    expect(srv.requests).toHaveLength(4);
    expect(srv.requests.map((r) => r.text())).toEqual(['x', 'x', 'x', 'x']);
  });

  it('does not retry a POST after a connection reset either', async () => {
    const srv = await server((_req, _res, raw) => void raw.socket.destroy());
    const err = await httpError(
      createHttpClient({ sleep: () => Promise.resolve() }).request({ url: srv.url, method: 'POST' }),
    );
    expect(err.code).toBe('HTTP_NETWORK');
    expect(srv.requests).toHaveLength(1);
  });

  it('uses a custom retryOn and per-request retries', async () => {
    const srv = await server((_req, res) => reply(res, 404));
    const { sleep } = recordingSleep();
    await httpError(
      createHttpClient({ sleep }).request({ url: srv.url, retryOn: (s) => s === 404, retries: 1 }),
    );
    expect(srv.requests).toHaveLength(2);
  });
});

// ---------------------------------------------------------------- body cap and decoding

describe('body size cap', () => {
  it('aborts a streamed (chunked) body once it passes the cap, without retrying', async () => {
    let written = 0;
    const srv = await server((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 97);
      const pump = (): void => {
        while (written < 8 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    const err = await httpError(createHttpClient({ maxBodyBytes: 256 * 1024 }).request({ url: srv.url }));
    expect(err.code).toBe('HTTP_BODY_TOO_LARGE');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('exceeds 262144 bytes');
    expect(srv.requests).toHaveLength(1);
    // The download stopped early instead of reading all 8 MiB.
    expect(written).toBeLessThan(8 * 1024 * 1024);
  });

  it('rejects a declared Content-Length over the cap before reading', async () => {
    const raw = await rawServer((sock) => {
      sock.once('data', () => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\nabc'));
    });
    const err = await httpError(
      createHttpClient({ maxBodyBytes: 1000, timeoutMs: 5000 }).request({ url: raw.url }),
    );
    expect(err.code).toBe('HTTP_BODY_TOO_LARGE');
  });

  it('does not apply the cap to the Content-Length of a HEAD response', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, {
        'content-length': String(5 * 1024 * 1024 * 1024),
        'docker-content-digest': 'sha256:abc',
      });
      res.end();
    });
    const res = await createHttpClient({ maxBodyBytes: 1024 }).request({ url: srv.url, method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe('sha256:abc');
    expect(res.body.byteLength).toBe(0);
  });

  it('counts decoded bytes: a small gzip body whose Content-Length lies about its real size', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0));
    expect(bomb.length).toBeLessThan(10_000);
    const srv = await server((_req, res) =>
      reply(res, 200, bomb as unknown as string, {
        'content-encoding': 'gzip',
        'content-length': String(bomb.length),
      }),
    );
    const err = await httpError(createHttpClient({ maxBodyBytes: 1024 * 1024 }).request({ url: srv.url }));
    expect(err.code).toBe('HTTP_BODY_TOO_LARGE');
  });

  it('decodes gzip transparently under the cap', async () => {
    const json = JSON.stringify({ tags: Array.from({ length: 500 }, (_, i) => `v1.${i}.0`) });
    const srv = await server((_req, res) =>
      reply(res, 200, gzipSync(json) as unknown as string, { 'content-encoding': 'gzip' }),
    );
    const res = await createHttpClient().request({ url: srv.url });
    expect(res.text()).toBe(json);
    expect(res.body.byteLength).toBe(Buffer.byteLength(json));
  });

  it('accepts a body exactly at the cap', async () => {
    const srv = await server((_req, res) => reply(res, 200, 'x'.repeat(1000)));
    const res = await createHttpClient({ maxBodyBytes: 1000 }).request({ url: srv.url });
    expect(res.body.byteLength).toBe(1000);
  });
});

describe('invalid JSON', () => {
  it('throws HTTP_INVALID_RESPONSE naming the redacted URL', async () => {
    const srv = await server((_req, res) => reply(res, 200, '<html>not json</html>'));
    const res = await createHttpClient().request({ url: `${srv.url}/tags?access_token=sekrit-token-1` });
    const err = (() => {
      try {
        res.json();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(HttpError);
    const e = err as HttpError;
    expect(e.code).toBe('HTTP_INVALID_RESPONSE');
    expect(e.url).toBe(`${srv.url}/tags?access_token=***`);
    expect(e.message).toMatch(
      /^\[core:http\] GET http:\/\/127\.0\.0\.1:\d+\/tags\?access_token=\*\*\* failed with http invalid response: response is not valid JSON: /,
    );
    expect(e.cause).toBeInstanceOf(SyntaxError);
    expect(everythingIn(e)).not.toContain('sekrit-token-1');
  });
});

// ---------------------------------------------------------------- redaction

describe('redaction', () => {
  it('keeps userinfo, token parameters and Authorization out of errors, causes and logs', async () => {
    // A hostile server that echoes every credential it received back in its error body.
    const srv = await server((req, res) =>
      reply(
        res,
        500,
        `denied ${req.url} auth=${String(req.headers.authorization)} key=${String(req.headers['x-api-key'])}`,
      ),
    );
    const { lines, logger } = capturingLogger();
    const { sleep } = recordingSleep();
    const secrets = new SecretRegistry();
    secrets.add('registered-secret-9');
    const url = `${srv.url.replace('http://', 'http://robot:pa55w0rd-xyz@')}/v2/app/tags/list?access_token=tok-abc-123&n=5&note=registered-secret-9`;
    const err = await httpError(
      createHttpClient({ logger, sleep, retries: 1, secrets }).request({
        url,
        headers: { authorization: 'Bearer eyJhbGciOi.payload.sig', 'x-api-key': 'apikey-777-xyz' },
      }),
    );
    const everything = [everythingIn(err), err.url, err.body ?? '', ...lines].join('\n');
    for (const secret of [
      'pa55w0rd-xyz',
      'tok-abc-123',
      'eyJhbGciOi.payload.sig',
      'apikey-777-xyz',
      'registered-secret-9',
      Buffer.from('robot:pa55w0rd-xyz').toString('base64'),
    ])
      expect(everything).not.toContain(secret);
    expect(err.url).toBe(`${srv.url}/v2/app/tags/list?access_token=***&n=5&note=***`);
    expect(err.body).toContain('denied');
    expect(lines.length).toBeGreaterThanOrEqual(3); // two attempts and one retry line
    expect(lines.every((l) => l.startsWith('debug [core:http]'))).toBe(true);
    // The credentials did reach the server, where they belong.
    expect(srv.requests[0]?.headers.authorization).toBe('Bearer eyJhbGciOi.payload.sig');
  });

  it('turns URL userinfo into Basic auth and never puts it in the URL', async () => {
    const srv = await server((_req, res) => reply(res, 200));
    const res = await createHttpClient().request({
      url: srv.url.replace('http://', 'http://u%40x:p%3Aw@') + '/x',
    });
    expect(srv.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u@x:p:w').toString('base64')}`);
    expect(res.url).toBe(`${srv.url}/x`);
  });

  it('redacts a network error caused by a request with credentials', async () => {
    const port = await freePort();
    const { lines, logger } = capturingLogger();
    const err = await httpError(
      createHttpClient({ logger, retries: 0 }).request({
        url: `http://admin:topsecret-pw@127.0.0.1:${port}/?token=tok-zzz-999`,
      }),
    );
    const everything = [everythingIn(err), ...lines].join('\n');
    expect(everything).not.toContain('topsecret-pw');
    expect(everything).not.toContain('tok-zzz-999');
    expect(err.message).toContain(`http://127.0.0.1:${port}/?token=***`);
  });
});

// ---------------------------------------------------------------- redirects

describe('redirects', () => {
  it('drops credentials on a redirect to another origin, keeping other headers', async () => {
    const target = await server((_req, res) => reply(res, 200, 'blob'));
    const origin = await server((_req, res) => reply(res, 307, '', { location: `${target.url}/blob?x=1` }));
    const res = await createHttpClient().request({
      url: `${origin.url}/v2/app/blobs/sha256:abc`,
      headers: {
        authorization: 'Bearer secret-token-aaaa',
        cookie: 'session=s3cr3t',
        'proxy-authorization': 'Basic cHJveHk6cHc=',
        'x-registry-auth': 'reg-secret',
        'private-token': 'gl-token',
        accept: 'application/octet-stream',
      },
    });
    expect(res.text()).toBe('blob');
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${target.url}/blob?x=1`);
    expect(res.attempts).toBe(1);
    expect(origin.requests[0]?.headers.authorization).toBe('Bearer secret-token-aaaa');
    const h = target.requests[0]!.headers;
    expect(h.authorization).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['x-registry-auth']).toBeUndefined();
    expect(h['private-token']).toBeUndefined();
    expect(h.accept).toBe('application/octet-stream');
  });

  it('drops the Basic auth derived from userinfo on a cross-origin hop', async () => {
    const target = await server((_req, res) => reply(res, 200));
    const origin = await server((_req, res) => reply(res, 302, '', { location: target.url }));
    await createHttpClient().request({ url: origin.url.replace('http://', 'http://u:p@') });
    expect(origin.requests[0]?.headers.authorization).toMatch(/^Basic /);
    expect(target.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps Authorization on a same-origin redirect', async () => {
    const srv = await server((req, res) =>
      req.url === '/old' ? reply(res, 301, '', { location: '/new' }) : reply(res, 200, 'new'),
    );
    const res = await createHttpClient().request({
      url: `${srv.url}/old`,
      headers: { authorization: 'Bearer keep-me-1234' },
    });
    expect(res.text()).toBe('new');
    expect(srv.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/old', 'Bearer keep-me-1234'],
      ['/new', 'Bearer keep-me-1234'],
    ]);
  });

  it('treats the same host on another port as another origin', async () => {
    const a = await server((_req, res) => reply(res, 200));
    const b = await server((_req, res) =>
      reply(res, 302, '', { location: a.url.replace('127.0.0.1', 'localhost') }),
    );
    await createHttpClient().request({ url: b.url, headers: { authorization: 'Bearer x-12345678' } });
    expect(a.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('turns a POST into a GET without body on 303, and keeps method and body on 307', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/see-other') reply(res, 303, '', { location: '/done' });
      else if (req.url === '/temp') reply(res, 307, '', { location: '/done' });
      else reply(res, 200, `${req.method}:${req.text()}`);
    });
    const http = createHttpClient();
    const r1 = await http.request({ url: `${srv.url}/see-other`, method: 'POST', body: 'data' });
    expect(r1.text()).toBe('GET:');
    const r2 = await http.request({ url: `${srv.url}/temp`, method: 'POST', body: 'data' });
    expect(r2.text()).toBe('POST:data');
  });

  it('reuses the connection across same-origin redirects', async () => {
    const ports = new Set<number>();
    const srv = await server((req, res, raw) => {
      ports.add(raw.socket.remotePort ?? 0);
      const n = Number(req.url.slice(1));
      if (n < 6) reply(res, 302, 'moved '.repeat(8000), { location: `/${n + 1}` });
      else reply(res, 200, 'done');
    });
    const res = await createHttpClient().request({ url: `${srv.url}/0` });
    expect(res.text()).toBe('done');
    expect(srv.requests).toHaveLength(7);
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('stops after 10 redirects with HTTP_INVALID_RESPONSE', async () => {
    const srv = await server((req, res) => reply(res, 302, '', { location: `/r${req.url.length}` }));
    const err = await httpError(createHttpClient().request({ url: `${srv.url}/loop` }));
    expect(err.code).toBe('HTTP_INVALID_RESPONSE');
    expect(err.message).toContain('more than 10 redirects');
    expect(srv.requests).toHaveLength(11);
  });

  it('rejects a redirect to another scheme or without a usable Location', async () => {
    const srv = await server((req, res) =>
      req.url === '/ftp'
        ? reply(res, 302, '', { location: 'ftp://files.example/x' })
        : reply(res, 302, '', { location: 'http://[::1' }),
    );
    const http = createHttpClient();
    const e1 = await httpError(http.request({ url: `${srv.url}/ftp` }));
    expect(e1.code).toBe('HTTP_INVALID_RESPONSE');
    expect(e1.message).toContain('unsupported scheme ftp:');
    const e2 = await httpError(http.request({ url: `${srv.url}/bad` }));
    expect(e2.code).toBe('HTTP_INVALID_RESPONSE');
    expect(e2.message).toContain('invalid Location');
    expect(e2.retryable).toBe(false);
  });

  it('returns the 3xx itself when followRedirects is false', async () => {
    const srv = await server((_req, res) => reply(res, 302, '', { location: 'https://elsewhere.invalid/' }));
    const res = await createHttpClient().request({ url: srv.url, followRedirects: false });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://elsewhere.invalid/');
    expect(res.redirected).toBe(false);
  });
});

// ---------------------------------------------------------------- concurrency

describe('per-host concurrency', () => {
  /** A server that holds each request 40 ms and records how many were in flight at most. */
  async function slowServer(): Promise<{ srv: TestHttpServer; maxInFlight: () => number }> {
    let inFlight = 0;
    let max = 0;
    const srv = await server(async (_req, res) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 40));
      inFlight--;
      reply(res, 200);
    });
    return { srv, maxInFlight: () => max };
  }

  it('never has more than perHostConcurrency requests in flight at one host', async () => {
    const { srv, maxInFlight } = await slowServer();
    const http = createHttpClient({ perHostConcurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => http.request({ url: `${srv.url}/${i}` })));
    expect(srv.requests).toHaveLength(12);
    expect(maxInFlight()).toBe(3);
  });

  it('limits to 16 per host by default', async () => {
    const { srv, maxInFlight } = await slowServer();
    const http = createHttpClient();
    await Promise.all(Array.from({ length: 24 }, (_, i) => http.request({ url: `${srv.url}/${i}` })));
    expect(maxInFlight()).toBe(16);
  });

  it('perHostConcurrency: Infinity sets no limit', async () => {
    const { srv, maxInFlight } = await slowServer();
    const http = createHttpClient({ perHostConcurrency: Infinity });
    await Promise.all(Array.from({ length: 20 }, (_, i) => http.request({ url: `${srv.url}/${i}` })));
    expect(maxInFlight()).toBe(20);
  });

  it('keys the limit by host: another host name is limited separately', async () => {
    const { srv, maxInFlight } = await slowServer();
    const http = createHttpClient({ perHostConcurrency: 2 });
    const other = srv.url.replace('127.0.0.1', 'localhost');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => http.request({ url: `${i % 2 ? srv.url : other}/${i}` })),
    );
    expect(maxInFlight()).toBe(4);
  });

  it('an abort while queued for a slot rejects at once', async () => {
    const srv = await server(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 300));
      reply(res, 200);
    });
    const http = createHttpClient({ perHostConcurrency: 1 });
    let firstDone = false;
    const first = http.request({ url: `${srv.url}/1` }).then(() => (firstDone = true));
    const ac = new AbortController();
    const second = http.request({ url: `${srv.url}/2`, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    expect(await catchError(second)).toBeInstanceOf(AbortError);
    // Rejected while the slot was still taken, not after waiting for it.
    expect(firstDone).toBe(false);
    await first;
    await new Promise((r) => setTimeout(r, 20));
    expect(srv.requests.map((r) => r.url)).toEqual(['/1']);
  });
});

// ---------------------------------------------------------------- logging

describe('logging', () => {
  it('writes one debug line per attempt and per retry', async () => {
    let n = 0;
    const srv = await server((_req, res) => (++n === 1 ? reply(res, 503) : reply(res, 200)));
    const { lines, logger } = capturingLogger();
    await createHttpClient({ logger, sleep: () => Promise.resolve(), scope: 'registry:oci' }).request({
      url: `${srv.url}/v2/`,
    });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`debug [registry:oci] GET ${srv.url}/v2/ -> 503`);
    expect(lines[1]).toMatch(/retrying in \d+ ms after status 503/);
    expect(lines[2]).toContain(`-> 200`);
    expect(lines[2]).toContain('"attempt":2');
  });
});
