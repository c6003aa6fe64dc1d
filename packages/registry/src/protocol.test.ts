/**
 * Registry protocol behaviours distribution 2.8 cannot show, against loopback servers that speak
 * the registry protocol (see the header of testkit's fake-registry.ts): pagination, `"tags": null`,
 * ECR's n ≤ 1000, Docker Hub rate-limit headers, 429s, token caching and refresh.
 */
import { startFakeRegistry, startHttpServer, startTokenServer } from '@tidewatch/testkit';
import type { FakeRegistry, TestHttpServer } from '@tidewatch/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scanImageRepositories, scanImageTags, tagsRevision } from './index.js';

const FAST = { retries: 0, timeoutMs: 5000 } as const;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
async function fake(options: Parameters<typeof startFakeRegistry>[0]): Promise<FakeRegistry> {
  const r = await startFakeRegistry(options);
  closers.push(() => r.close());
  return r;
}
async function server(handler: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer> {
  const s = await startHttpServer(handler);
  closers.push(() => s.close());
  return s;
}
const tagPaths = (s: TestHttpServer): string[] =>
  s.requests.map((r) => r.url).filter((u) => u.includes('/tags/list'));

describe('tag pagination', () => {
  it('follows relative Link headers with n=1000 and concatenates every page', async () => {
    const reg = await fake({ repositories: { 'org/app': ['a', 'b', 'c', 'd', 'e'] }, maxPageSize: 2 });
    const scan = await scanImageTags({ image: `${reg.host}/org/app`, ...FAST });
    expect(scan.tags).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(scan.pages).toBe(3);
    expect(tagPaths(reg.server)).toEqual([
      '/v2/org/app/tags/list?n=1000',
      '/v2/org/app/tags/list?n=2&last=b',
      '/v2/org/app/tags/list?n=2&last=d',
    ]);
  });

  it('follows absolute Link headers on the same origin', async () => {
    const reg = await fake({
      repositories: { 'org/app': ['x1', 'x2', 'x3'] },
      maxPageSize: 1,
      absoluteLinks: true,
    });
    expect((await scanImageTags({ image: `${reg.host}/org/app`, ...FAST })).tagCount).toBe(3);
  });

  it('treats "tags": null as an empty repository', async () => {
    const reg = await fake({ repositories: { 'org/empty': null } });
    const scan = await scanImageTags({ image: `${reg.host}/org/empty`, ...FAST });
    expect(scan.tags).toEqual([]);
    expect(scan.latestTags).toEqual([]);
    expect(scan.revision).toBe(tagsRevision([], 'adler32'));
    expect(scan.condition.message).toBe(`successful scan: found 0 tags with checksum ${scan.revision}`);
  });

  it('retries with n=1000 when ECR refuses a larger page with 405', async () => {
    const tags = Array.from({ length: 1500 }, (_, i) => `t${i}`);
    const reg = await fake({ repositories: { 'team/ecr': tags }, ecr: true, maxPageSize: 1000 });
    const scan = await scanImageTags({ image: `${reg.host}/team/ecr`, pageSize: 5000, ...FAST });
    expect(scan.tagCount).toBe(1500);
    expect(tagPaths(reg.server)[0]).toBe('/v2/team/ecr/tags/list?n=5000');
    expect(tagPaths(reg.server)[1]).toBe('/v2/team/ecr/tags/list?n=1000');
  });

  it('stops at the page budget and reports truncated', async () => {
    const reg = await fake({ repositories: { 'org/big': ['1', '2', '3', '4', '5'] }, maxPageSize: 1 });
    const scan = await scanImageTags({ image: `${reg.host}/org/big`, maxPages: 2, ...FAST });
    expect(scan).toMatchObject({ truncated: true, pages: 2, tags: ['2', '1'] });
  });

  it('keeps only the latest 10 tags in latestTags, descending by bytes', async () => {
    const tags = Array.from({ length: 25 }, (_, i) => `1.${i}.0`);
    const reg = await fake({ repositories: { 'org/many': tags } });
    const scan = await scanImageTags({ image: `${reg.host}/org/many`, ...FAST });
    expect(scan.latestTags).toEqual([
      '1.9.0',
      '1.8.0',
      '1.7.0',
      '1.6.0',
      '1.5.0',
      '1.4.0',
      '1.3.0',
      '1.24.0',
      '1.23.0',
      '1.22.0',
    ]);
    expect(scan.tagCount).toBe(25);
  });

  it('orders by UTF-8 bytes a list sorted in UTF-16 order, also when the JSON escapes the surrogates', async () => {
    // UTF-16 order puts U+1F600 (surrogates D83D DE00) before U+FF5E; UTF-8 bytes (F0… vs EF…)
    // put it after. A list already sorted by UTF-16 must still be re-sorted by bytes.
    for (const body of [
      '{"name":"org/emoji","tags":["a\\ud83d\\ude00","a\\uff5e","b"]}',
      '{"name":"org/emoji","tags":["a\u{1f600}","a\uff5e","b"]}',
    ]) {
      const srv = await server((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url === '/v2/' ? '{}' : body);
      });
      const scan = await scanImageTags({ image: `${srv.url.replace('http://', '')}/org/emoji`, ...FAST });
      expect(scan.tags).toEqual(['b', 'a\u{1f600}', 'a\uff5e']);
    }
  });
});

describe('scan revisions of pages with and without characters Go escapes', () => {
  it('equals the Adler-32 of Go’s JSON whatever the page holds, page by page and across pages', async () => {
    const { adler32, goJsonStringArray } = await import('./revision.js');
    const goAdler = (tags: readonly string[]): string =>
      String(adler32(Buffer.from(goJsonStringArray(tags), 'utf8')));
    // DEL is ASCII that Go writes as it is.
    const plain = ['1.0.0', 'v2~beta', 'x\u007fdel', 'a b', 'z+build.1'];
    const repositories: Record<string, string[]> = {
      'org/plain': plain,
      // One of each character Go escapes for HTML, each on its own page.
      'org/lt': [...plain, 'a<b'],
      'org/gt': [...plain, 'c>d'],
      'org/amp': [...plain, 'e&f'],
      'org/escaped': [...plain, 'quote"q', 'back\\slash', 'tab\tx'],
      'org/unicode': [...plain, 'ünï', 'x\u2028y', '\u{1f600}'],
    };
    const reg = await fake({ repositories });
    const paged = await fake({ repositories, maxPageSize: 2 });
    for (const r of [reg, paged]) {
      const out = await scanImageRepositories(
        Object.keys(repositories).map((name) => `${r.host}/${name}`),
        { ...FAST, exclusionList: [] },
      );
      for (const o of out) {
        if (!o.ok) throw new Error(String(o.error));
        expect(o.result.tags.length, o.image).toBe(repositories[o.image.slice(r.host.length + 1)]!.length);
        expect(o.result.revision, o.image).toBe(goAdler(o.result.tags));
      }
    }
  });
});

describe('exclusion list semantics (Go RE2)', () => {
  it('the default ^.*\\.sig$ does not match across a newline, as in Go; other patterns run on RE2', async () => {
    const reg = await fake({
      repositories: { 'o/a': ['1.0.0', 'sha256-x.sig', 'weird\n.sig', 'v2.sig.bak'] },
    });
    const scan = await scanImageTags({ image: `${reg.host}/o/a`, ...FAST });
    expect(scan.tags).toEqual(['weird\n.sig', 'v2.sig.bak', '1.0.0']);
    const custom = await scanImageTags({
      image: `${reg.host}/o/a`,
      exclusionList: ['(?i)^V\\d', '\\.sig$'],
      ...FAST,
    });
    // Unanchored `\.sig$` does match after a newline; `(?i)^V\d` matches `v2…`.
    expect(custom.tags).toEqual(['1.0.0']);
  });
});

describe('rate limits', () => {
  it("surfaces Docker Hub's ratelimit-* headers", async () => {
    const reg = await fake({
      repositories: { 'library/nginx': ['1.27'] },
      headers: {
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '97;w=21600',
        'docker-ratelimit-source': '203.0.113.9',
      },
    });
    const scan = await scanImageTags({ image: `${reg.host}/library/nginx`, ...FAST });
    expect(scan.rateLimit).toEqual({
      limit: 100,
      remaining: 97,
      windowSeconds: 21600,
      source: '203.0.113.9',
    });
  });

  it('retries a 429 after Retry-After and succeeds', async () => {
    let n = 0;
    const s = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (n++ === 0)
        return void res.writeHead(429, { 'retry-after': '0' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"a/b","tags":["1"]}');
    });
    const scan = await scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, retries: 2, timeoutMs: 5000 });
    expect(scan.tags).toEqual(['1']);
  });

  it('turns a lasting 429 into a retryable REGISTRY_RATE_LIMITED with the figures', async () => {
    const s = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(429, {
        'retry-after': '0',
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '0;w=21600',
      });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}');
    });
    const err = await scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, retries: 1, timeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'REGISTRY_RATE_LIMITED',
      retryable: true,
      rateLimit: { limit: 100, remaining: 0, windowSeconds: 21600 },
    });
    expect(String(err)).toContain('TOOMANYREQUESTS');
    expect(tagPaths(s)).toHaveLength(2);
  });

  it('fails at once when Retry-After is longer than allowed', async () => {
    const s = await server((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(429, { 'retry-after': '3600' }).end();
    });
    const t0 = Date.now();
    const err = await scanImageTags({ image: `127.0.0.1:${s.port}/a/b`, retries: 3, timeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'REGISTRY_RATE_LIMITED', retryable: true });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('limits requests in flight per registry', async () => {
    let inFlight = 0;
    let max = 0;
    const s = await server(async (req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["1"]}');
    });
    const images = Array.from({ length: 12 }, (_, i) => `127.0.0.1:${s.port}/r/img${i}`);
    const out = await scanImageRepositories(images, { concurrency: 12, concurrencyPerRegistry: 3, ...FAST });
    expect(out.every((o) => o.ok)).toBe(true);
    expect(max).toBe(3);
  });
});

describe('scanImageRepositories scheduling', () => {
  it('scans at most `concurrency` repositories at once, starts them in input order and answers in input order', async () => {
    let inFlight = 0;
    let max = 0;
    const started: string[] = [];
    const s = await server(async (req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      const repo = /^\/v2\/r\/(img\d+)\//.exec(req.url)![1]!;
      started.push(repo);
      inFlight++;
      max = Math.max(max, inFlight);
      // Later repositories answer sooner, so that completion order differs from input order.
      await new Promise((r) => setTimeout(r, 40 - Number(repo.slice(3)) * 4));
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"tags":["${repo}"]}`);
    });
    const images = Array.from({ length: 7 }, (_, i) => `127.0.0.1:${s.port}/r/img${i}`);
    const out = await scanImageRepositories(images, { concurrency: 3, ...FAST });
    expect(max).toBe(3);
    expect(started.slice(0, 3).sort()).toEqual(['img0', 'img1', 'img2']);
    expect(out.map((o) => o.image)).toEqual(images);
    expect(out.map((o) => (o.ok ? o.result.tags[0] : o.error))).toEqual(images.map((_, i) => `img${i}`));
  });

  it('settles every repository once aborted: those not started with an AbortError, in input order', async () => {
    const controller = new AbortController();
    let requests = 0;
    const s = await server(async (req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      if (++requests === 2) controller.abort(new Error('stop'));
      await new Promise((r) => setTimeout(r, 20));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["1"]}');
    });
    const images = Array.from({ length: 5 }, (_, i) => `127.0.0.1:${s.port}/r/img${i}`);
    const out = await scanImageRepositories(images, { concurrency: 2, signal: controller.signal, ...FAST });
    expect(out.map((o) => o.image)).toEqual(images);
    expect(out.every((o) => !o.ok)).toBe(true);
    for (const o of out.slice(2)) {
      expect(o.ok).toBe(false);
      if (o.ok) continue;
      expect(o.error).toMatchObject({ code: 'ABORTED', message: '[core:concurrency] operation aborted' });
      expect((o.error as Error).cause).toEqual(new Error('stop'));
      expect(o.condition.reason).toBe('ReadOperationFailed');
    }
    expect(requests).toBe(2);
  });
});

describe('tokens', () => {
  it('accepts access_token without expires_in, caches the token per scope and pings once', async () => {
    const tokens = await startTokenServer({
      issuer: 'i',
      service: 'svc',
      accessTokenField: true,
      expiresIn: undefined,
    });
    closers.push(() => tokens.close());
    // The fake accepts exactly the tokens issued so far.
    const live = { has: (t: string) => tokens.issued.includes(t) } as ReadonlySet<string>;
    const reg2 = await fake({
      repositories: { 'a/one': ['1'], 'a/two': ['2'] },
      auth: { kind: 'bearer', realm: tokens.realm, service: 'svc', tokens: live },
    });
    const out = await scanImageRepositories(
      [`${reg2.host}/a/one`, `${reg2.host}/a/two`, `${reg2.host}/a/one`],
      { concurrency: 1, ...FAST },
    );
    expect(out.map((o) => o.ok)).toEqual([true, true, true]);
    expect(reg2.server.requests.filter((r) => r.url === '/v2/')).toHaveLength(1);
    // One token per repository scope; the third scan reused the first token.
    expect(
      tokens.server.requests.map((r) => new URL(r.url, 'http://x').searchParams.getAll('scope')),
    ).toEqual([['repository:a/one:pull'], ['repository:a/two:pull']]);
  });

  it('exchanges again once when the registry rejects a cached token, with the scope of the new challenge first', async () => {
    const tokens = await startTokenServer({ issuer: 'i', service: 'svc' });
    closers.push(() => tokens.close());
    let rejectFirst = true;
    const s = await server((req, res) => {
      if (req.url === '/v2/') {
        return void res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.realm}",service="svc"` })
          .end();
      }
      const auth = req.headers.authorization;
      if (typeof auth !== 'string' || !tokens.issued.includes(auth.slice(7)) || rejectFirst) {
        rejectFirst = false;
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${tokens.realm}",service="svc",scope="repository:x/y:pull,push"`,
        });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["ok"]}');
    });
    const scan = await scanImageTags({ image: `127.0.0.1:${s.port}/x/y`, ...FAST });
    expect(scan.tags).toEqual(['ok']);
    const scopes = tokens.server.requests.map((r) => new URL(r.url, 'http://x').searchParams.getAll('scope'));
    expect(scopes).toEqual([['repository:x/y:pull'], ['repository:x/y:pull,push', 'repository:x/y:pull']]);
  });

  it('keeps a token without expires_in for 80 % of the default 60 s', async () => {
    const tokens = await startTokenServer({ issuer: 'i', service: 'svc', expiresIn: undefined });
    closers.push(() => tokens.close());
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const steps = [40_000, 10_000, 0];
      const s = await server((req, res) => {
        const auth = req.headers.authorization;
        if (typeof auth !== 'string' || !tokens.issued.includes(auth.slice(7))) {
          return void res
            .writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.realm}",service="svc"` })
            .end();
        }
        if (req.url.includes('/tags/list')) vi.setSystemTime(Date.now() + (steps.shift() ?? 0));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["1"]}');
      });
      const image = `127.0.0.1:${s.port}/x/y`;
      // Scan 1 gets a token at t=0 (and moves the clock to 40 s); scan 2 reuses it (→ 50 s); scan 3 needs a new one.
      const out = await scanImageRepositories([image, image, image], { concurrency: 1, ...FAST });
      expect(out.every((o) => o.ok)).toBe(true);
      expect(tokens.server.requests.filter((r) => r.url.startsWith('/token'))).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after one refresh when the registry answers 401 forever', async () => {
    const tokens = await startTokenServer({ issuer: 'i', service: 'svc' });
    closers.push(() => tokens.close());
    const s = await server((_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.realm}",service="svc"` }).end();
    });
    const err = await scanImageTags({ image: `127.0.0.1:${s.port}/x/y`, ...FAST }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH' });
    expect(tagPaths(s)).toHaveLength(2);
    expect(tokens.server.requests).toHaveLength(2);
  });
});
