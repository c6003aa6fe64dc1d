/**
 * Safety and bad input: where credentials may go (redirects, token realms, pagination links),
 * secrets never in errors or logs, and garbage, truncated, endless or huge answers giving typed
 * errors in bounded time and memory.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@tidewatch/core';
import {
  createTestCa,
  startFakeRegistry,
  startHttpServer,
  startTokenServer,
  tempDir,
} from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scanImageRepositories, scanImageTags } from './index.js';

const FAST = { retries: 0, timeoutMs: 5000 } as const;
const PASSWORD = 'hunter2-very-secret';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
async function server(
  handler: Parameters<typeof startHttpServer>[0],
  options?: Parameters<typeof startHttpServer>[1],
): Promise<TestHttpServer> {
  const s = await startHttpServer(handler, options);
  closers.push(() => s.close());
  return s;
}
const basic = `Basic ${Buffer.from(`robot:${PASSWORD}`).toString('base64')}`;
const creds = { username: 'robot', password: PASSWORD };

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string, f?: object): void => void lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { logger: { debug: push, info: push, warn: push, error: push }, lines };
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(String(e), e.stack ?? '');
  return parts.join('\n');
}

describe('credentials go only where they belong', () => {
  it('a redirect to another origin (a CDN) gets no Authorization; a same-origin one keeps it', async () => {
    const cdn = await server(
      (_req, res) =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["from-cdn"]}'),
    );
    const reg = await server((req, res) => {
      if (req.headers.authorization !== basic)
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (req.url.startsWith('/v2/a/cdn/'))
        return void res.writeHead(307, { location: `${cdn.url}/blob/tags.json` }).end();
      if (req.url.startsWith('/v2/a/same/'))
        return void res.writeHead(307, { location: '/moved/tags' }).end();
      if (req.url === '/moved/tags')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["moved"]}');
      res.writeHead(404).end();
    });
    const viaCdn = await scanImageTags({ image: `127.0.0.1:${reg.port}/a/cdn`, auth: creds, ...FAST });
    expect(viaCdn.tags).toEqual(['from-cdn']);
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]!.headers.authorization).toBeUndefined();
    const same = await scanImageTags({ image: `127.0.0.1:${reg.port}/a/same`, auth: creds, ...FAST });
    expect(same.tags).toEqual(['moved']);
    expect(reg.requests.find((r) => r.url === '/moved/tags')!.headers.authorization).toBe(basic);
  });

  it('a token realm at a loopback address the registry is not on gets nothing', async () => {
    // A token server on 127.0.0.2 (another loopback address); the registry is on 127.0.0.1.
    const seen: string[] = [];
    const other = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    closers.push(() => new Promise((r) => other.close(() => r())));
    const realm = `http://127.0.0.2:${(other.address() as AddressInfo).port}/token`;
    const reg = await server(
      (_req, res) =>
        void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="s"` }).end(),
    );
    for (const auth of [creds, undefined]) {
      const err = await scanImageTags({
        image: `127.0.0.1:${reg.port}/a/b`,
        ...(auth ? { auth } : {}),
        ...FAST,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REGISTRY_UNSAFE_URL' });
      expect(String(err)).toContain('loopback or private address');
    }
    expect(seen).toEqual([]);
  });

  it('a realm at the cloud metadata address is refused without connecting', async () => {
    const reg = await server((_req, res) => {
      res
        .writeHead(401, {
          'www-authenticate': 'Bearer realm="http://169.254.169.254/latest/meta-data/iam",service="s"',
        })
        .end();
    });
    const t0 = Date.now();
    await expect(
      scanImageTags({ image: `127.0.0.1:${reg.port}/a/b`, auth: creds, ...FAST }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNSAFE_URL' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  describe('over TLS', () => {
    let ca: Awaited<ReturnType<typeof createTestCa>>;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    beforeAll(async () => {
      dir = await tempDir();
      ca = await createTestCa(dir.path);
    });
    afterAll(() => dir?.cleanup());

    it('an http:// realm of an https registry gets no credentials unless the registry is marked insecure', async () => {
      const tokens = await startTokenServer({ issuer: 'i', service: 's', users: { robot: PASSWORD } });
      closers.push(() => tokens.close());
      const live = { has: (t: string) => tokens.issued.includes(t) } as ReadonlySet<string>;
      const reg = await startFakeRegistry({
        repositories: { 'a/b': ['1'] },
        auth: { kind: 'bearer', realm: tokens.realm, service: 's', tokens: live },
        tls: { certPem: ca.certPem, keyPem: ca.keyPem },
      });
      closers.push(() => reg.close());
      const image = `${reg.host}/a/b`;
      const err = await scanImageTags({ image, auth: creds, tls: { ca: ca.caPem }, ...FAST }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'REGISTRY_UNSAFE_URL' });
      expect(String(err)).toContain('plain http');
      expect(tokens.server.requests).toHaveLength(0);
      const ok = await scanImageTags({ image, auth: creds, tls: { ca: ca.caPem }, insecure: true, ...FAST });
      expect(ok.tags).toEqual(['1']);
      expect(tokens.server.requests[0]!.headers.authorization).toBe(basic);
    });
  });

  it('a pagination Link that leaves the registry host is refused before anything is sent there', async () => {
    const elsewhere = await server((_req, res) => void res.writeHead(200).end('{"tags":["evil"]}'));
    const reg = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, {
        'content-type': 'application/json',
        link: `<${elsewhere.url}/v2/a/b/tags/list?last=1>; rel="next"`,
      });
      res.end('{"tags":["1"]}');
    });
    const err = await scanImageTags({ image: `127.0.0.1:${reg.port}/a/b`, ...FAST }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_UNSAFE_URL' });
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('secrets never leak', () => {
  it('keeps passwords and tokens out of errors, causes and logs', async () => {
    const tokens = await startTokenServer({ issuer: 'i', service: 's', users: { robot: PASSWORD } });
    closers.push(() => tokens.close());
    // The registry rejects the (valid) token and echoes it and the password back in its error body.
    const reg = await server((req, res) => {
      if (req.url === '/v2/')
        return void res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.realm}",service="s"` })
          .end();
      const echoed = `${String(req.headers.authorization)} ${PASSWORD}`;
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${tokens.realm}",service="s"`,
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: `bad token ${echoed}` }] }));
    });
    const { logger, lines } = capturingLogger();
    const err = await scanImageTags({
      image: `127.0.0.1:${reg.port}/a/b`,
      auth: creds,
      logger,
      ...FAST,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH' });
    expect(tokens.issued.length).toBeGreaterThan(0);
    const haystack = `${causeChain(err)}\n${lines.join('\n')}\n${JSON.stringify(err)}`;
    for (const secret of [PASSWORD, ...tokens.issued, Buffer.from(`robot:${PASSWORD}`).toString('base64')]) {
      expect(haystack).not.toContain(secret);
    }
    expect(lines.length).toBeGreaterThan(0);
  });

  it('keeps a token server error body that echoes the password out of the message', async () => {
    const tokenServer = await server(
      (_req, res) => void res.writeHead(500).end(`internal error for robot:${PASSWORD}`),
    );
    const reg = await server((_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokenServer.url}/token",service="s"` }).end();
    });
    const err = await scanImageTags({ image: `127.0.0.1:${reg.port}/a/b`, auth: creds, ...FAST }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(causeChain(err)).not.toContain(PASSWORD);
  });
});

describe('bad input gives typed errors in bounded time and memory', () => {
  const tagsServer = (write: (res: ServerResponse) => void): Promise<TestHttpServer> =>
    server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      write(res);
    });

  it('garbage JSON → REGISTRY_PROTOCOL', async () => {
    const s = await tagsServer((res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>'),
    );
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_PROTOCOL',
    });
  });

  it('JSON that is not an object → REGISTRY_PROTOCOL', async () => {
    const s = await tagsServer((res) => res.writeHead(200).end('["a","b"]'));
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_PROTOCOL',
    });
  });

  it('a body cut short (lying Content-Length) → typed HTTP error', async () => {
    const s = await tagsServer((res) => {
      res.writeHead(200, { 'content-length': '1000', 'content-type': 'application/json' });
      res.write('{"tags":["a",');
      setTimeout(() => res.destroy(), 20);
    });
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: expect.stringMatching(/^HTTP_/),
    });
  });

  it('a body that ends cleanly mid-JSON → REGISTRY_PROTOCOL', async () => {
    const s = await tagsServer((res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["a",'),
    );
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_PROTOCOL',
    });
  });

  it('a 10 GB body is cut off at the page cap', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const s = await tagsServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3) });
      const pump = (): void => {
        while (sent < 10 * 1024 ** 3) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = Number.POSITIVE_INFINITY));
      pump();
    });
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: 'HTTP_BODY_TOO_LARGE',
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 * 1024 * 1024);
  });

  it('an endless Link loop back to a seen page → REGISTRY_PROTOCOL', async () => {
    const s = await tagsServer((res) => {
      res
        .writeHead(200, {
          'content-type': 'application/json',
          link: '</v2/a/b/tags/list?n=1000>; rel="next"',
        })
        .end('{"tags":["x"]}');
    });
    await expect(scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_PROTOCOL',
    });
  });

  it('an endless chain of new pages stops at the page budget', async () => {
    let i = 0;
    const s = await tagsServer((res) => {
      i++;
      res
        .writeHead(200, {
          'content-type': 'application/json',
          link: `</v2/a/b/tags/list?last=${i}>; rel="next"`,
        })
        .end(`{"tags":["t${i}"]}`);
    });
    const scan = await scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, maxPages: 50, ...FAST });
    expect(scan).toMatchObject({ truncated: true, pages: 50, tagCount: 50 });
  });

  it('a server that never answers fails after the timeout', async () => {
    const s = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      // never answer
    });
    const t0 = Date.now();
    await expect(
      scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, retries: 0, timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'HTTP_TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('abort stops a scan with ABORTED', async () => {
    const s = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(
      scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, signal: ac.signal, ...FAST }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('scanImageRepositories isolates failures', () => {
  it('gives every image an outcome with Flux’s conditions', async () => {
    const reg = await startFakeRegistry({
      repositories: { 'ok/one': ['1.0.0'], 'ok/two': ['2.0.0', 'x.sig'] },
    });
    closers.push(() => reg.close());
    const out = await scanImageRepositories(
      [
        `${reg.host}/ok/one`,
        `${reg.host}/missing/repo`,
        'https://ghcr.io/org/app',
        { image: `${reg.host}/ok/two`, exclusionList: ['^x'] },
        `${reg.host}/ok/one:1.0`,
      ],
      { concurrency: 4, ...FAST },
    );
    expect(out.map((o) => o.ok)).toEqual([true, false, false, true, false]);
    expect(out[0]).toMatchObject({ ok: true, result: { tags: ['1.0.0'] } });
    expect(out[1]).toMatchObject({
      ok: false,
      condition: { status: 'False', reason: 'ReadOperationFailed' },
    });
    expect((out[1] as { condition: { message: string } }).condition.message).toMatch(/^scan failed: /);
    expect(out[2]).toMatchObject({
      ok: false,
      condition: {
        reason: 'ImageURLInvalid',
        message: "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'",
      },
      events: [{ type: 'Warning', reason: 'ImageURLInvalid' }],
    });
    expect(out[3]).toMatchObject({ ok: true, result: { tags: ['2.0.0'] } });
    expect(out[4]).toMatchObject({ ok: false, condition: { reason: 'ImageURLInvalid' } });
  });

  it('reports every invalid shared option at once', async () => {
    await expect(
      scanImageRepositories([], { concurrency: 0, pageSize: -1, exclusionList: ['(?<!x)'] }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      problems: [{ path: 'concurrency' }, { path: 'exclusionList[0]' }, { path: 'pageSize' }],
    });
  });
});
