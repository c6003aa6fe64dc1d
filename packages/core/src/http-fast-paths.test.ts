/**
 * The client's fast paths must answer exactly what the general path (a WHATWG `Headers`, a
 * `TextDecoder`) answers, and fall back to it whenever their preconditions do not hold.
 */
import { inspect } from 'node:util';
import { startHttpServer, type TestHttpServer } from '@tidewatch/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, decodeUtf8 } from './http.js';
import { AttemptSignal, LazyHeaders, RequestHeaders, responseHeaders } from './http-transport.js';

type Raw = Record<string, string | string[] | undefined>;

/** What the transport built before: one validated `append` per field. */
function eager(raw: Raw): Headers {
  const out = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.append(name, value);
  }
  return out;
}

const NAMES = [
  'content-type',
  'Content-Type',
  'CONTENT-LENGTH',
  'link',
  'x-missing',
  'set-cookie',
  'cookie',
  'x-dup',
  'constructor',
  '__proto__',
  'toString',
  'x-undefined',
  'x-empty',
];

const RAWS: Raw[] = [
  { 'content-type': 'application/json', 'content-length': '12', link: '</v2/a?n=2>; rel="next"' },
  { 'x-dup': ['a', 'b'], 'set-cookie': ['a=1', 'b=2'], cookie: ['c=1', 'd=2'], 'x-undefined': undefined },
  { 'x-empty': '', 'content-type': 'text/plain; charset=utf-8' },
  {},
];

describe('LazyHeaders (response headers)', () => {
  it.each(RAWS.map((raw) => [raw]))('answers as the eagerly built Headers: %j', (raw) => {
    const want = eager(raw);
    const got = responseHeaders(raw);
    expect(got).toBeInstanceOf(LazyHeaders);
    expect(got).toBeInstanceOf(Headers);
    for (const name of NAMES) {
      expect(got.get(name), name).toBe(want.get(name));
      expect(got.has(name), name).toBe(want.has(name));
    }
    expect([...got]).toEqual([...want]);
    expect([...responseHeaders(raw).entries()]).toEqual([...want.entries()]);
    expect([...responseHeaders(raw).keys()]).toEqual([...want.keys()]);
    expect([...responseHeaders(raw).values()]).toEqual([...want.values()]);
    expect(responseHeaders(raw).getSetCookie()).toEqual(want.getSetCookie());
    const seen: string[] = [];
    responseHeaders(raw).forEach((v, k, parent) => {
      seen.push(`${k}=${v}`);
      expect(parent).toBeInstanceOf(Headers);
    });
    const wantSeen: string[] = [];
    want.forEach((v, k) => wantSeen.push(`${k}=${v}`));
    expect(seen).toEqual(wantSeen);
    expect(inspect(responseHeaders(raw))).toBe(inspect(want));
  });

  it('reads repeated fields through Headers itself (values joined as Headers joins them)', () => {
    const h = responseHeaders({ cookie: ['a=1', 'b=2'], 'x-dup': ['a', 'b'] });
    expect(h.get('cookie')).toBe('a=1; b=2');
    expect(h.get('X-Dup')).toBe('a, b');
  });

  it('is mutable like the Headers it replaces, and other Headers and Responses copy it', () => {
    const raw = { 'content-type': 'application/json', etag: '"x"' };
    const h = responseHeaders(raw);
    h.set('etag', '"y"');
    h.append('x-new', '1');
    h.delete('content-type');
    expect([...h]).toEqual([
      ['etag', '"y"'],
      ['x-new', '1'],
    ]);
    expect(new Headers(responseHeaders(raw)).get('etag')).toBe('"x"');
    expect(new Response('x', { headers: responseHeaders(raw) }).headers.get('content-type')).toBe(
      'application/json',
    );
    expect(Object.fromEntries(new Headers(responseHeaders(raw)))).toEqual(raw);
  });

  it('throws what Headers throws for an invalid name', () => {
    const h = responseHeaders({ a: '1' });
    expect(() => h.get('bad name')).toThrow(TypeError);
    expect(() => h.has('bad name')).toThrow(TypeError);
    expect(() => h.get('bad name')).toThrow(
      (() => {
        try {
          new Headers().get('bad name');
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })(),
    );
  });

  it.each([
    ['a value Headers would trim', { a: ' padded ' }],
    ['a value with a tab at the end', { a: 'x\t' }],
    ['a mixed-case name', { 'X-Upper': 'x' }],
    ['a repeated field with a padded value', { a: ['x', ' y'] }],
  ])('copies at once, as before, for %s', (_label, raw: Raw) => {
    const got = responseHeaders(raw);
    expect(got).not.toBeInstanceOf(LazyHeaders);
    expect([...got]).toEqual([...eager(raw)]);
  });

  it('fails as before for a value Headers refuses', () => {
    expect(() => responseHeaders({ a: 'x\0y' })).toThrow(TypeError);
    expect(() => responseHeaders({ a: 'x\ny' })).toThrow(TypeError);
  });
});

describe('RequestHeaders', () => {
  const INITS: Record<string, string>[] = [
    { accept: 'application/json', authorization: 'Bearer abc' },
    { Accept: 'a', accept: 'b' },
    { 'user-agent': '  spaced  ' },
    { 'X-Token': 'secret', b: '', a: '1' },
    {},
  ];

  it.each(INITS.map((init) => [init]))('holds what a Headers built from %j holds', (init) => {
    const want = new Headers(init);
    const got = new RequestHeaders(init);
    expect(got.entries()).toEqual([...want]);
    expect(got.flat()).toEqual([...want].flat());
    expect(got.names()).toEqual([...want.keys()]);
    expect([...got.toHeaders()]).toEqual([...want]);
    for (const name of ['accept', 'Accept', 'authorization', 'x-token', 'user-agent', 'missing']) {
      expect(got.has(name)).toBe(want.has(name));
      expect(got.get(name)).toBe(want.get(name));
    }
    for (const h of [got, want]) {
      h.set('user-agent', 'tidewatch/1');
      h.set('X-Extra', ' padded\t');
      h.delete('authorization');
      h.delete('Accept');
    }
    expect(got.entries()).toEqual([...want]);
  });

  it('reads a Headers or a list of pairs as Headers does', () => {
    const list: [string, string][] = [
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['Accept', 'x'],
    ];
    expect(new RequestHeaders(new Headers(list) as never).entries()).toEqual([...new Headers(list)]);
    expect(new RequestHeaders(list as never).flat()).toEqual([...new Headers(list)].flat());
  });

  it('throws what Headers throws for an invalid name or value', () => {
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
      return 'no error';
    };
    expect(message(() => new RequestHeaders({ 'bad name': 'x' }))).toBe(
      message(() => new Headers({ 'bad name': 'x' })),
    );
    expect(message(() => new RequestHeaders({ a: 'x\ny' }))).toBe(message(() => new Headers({ a: 'x\ny' })));
    expect(message(() => new RequestHeaders({}).set('a', 'x\0'))).toBe(
      message(() => new Headers().set('a', 'x\0')),
    );
    expect(message(() => new RequestHeaders({}).get('bad name'))).not.toBe('no error');
  });
});

describe('AttemptSignal', () => {
  it('calls each abort listener once, with aborted and reason set, and ignores a second abort', () => {
    const signal = new AttemptSignal();
    const seen: unknown[] = [];
    const a = (): void => void seen.push(['a', signal.aborted, signal.reason]);
    const b = (): void => void seen.push(['b', signal.reason]);
    const removed = (): void => void seen.push('removed');
    signal.on('abort', a).once('abort', b).on('abort', removed).on('other', removed);
    signal.removeListener('abort', removed);
    signal.off('abort', () => {});
    signal.abort('why');
    signal.abort('again');
    expect(seen).toEqual([
      ['a', true, 'why'],
      ['b', 'why'],
    ]);
    expect(signal.reason).toBe('why');
    // A listener added after the abort is never called (the event is over), as with an AbortSignal.
    signal.on('abort', removed);
    signal.abort('later');
    expect(seen).toHaveLength(2);
  });

  it('gives a fetch an AbortSignal that aborts with it, before or after', () => {
    const before = new AttemptSignal();
    before.abort(new Error('x'));
    expect(before.toAbortSignal().aborted).toBe(true);
    expect(before.toAbortSignal().reason).toEqual(new Error('x'));
    const after = new AttemptSignal();
    const dom = after.toAbortSignal();
    expect(dom.aborted).toBe(false);
    after.abort('late');
    expect(dom.aborted).toBe(true);
    expect(dom.reason).toBe('late');
  });
});

describe('decodeUtf8', () => {
  const td = new TextDecoder();
  it.each([
    ['empty', new Uint8Array(0)],
    ['ASCII JSON', Buffer.from('{"tags":["1.0.0","latest"]}')],
    ['non-ASCII', Buffer.from('{"tags":["café","日本"]}')],
    ['a BOM', Buffer.from('\uFEFF{"a":1}')],
    ['invalid sequences', Uint8Array.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x62])],
    ['a surrogate pair', Buffer.from('x😀y')],
    ['control characters', Uint8Array.from([0, 1, 0x7f, 0x0a, 0x41])],
  ])('decodes %s as TextDecoder does', (_label, bytes) => {
    expect(decodeUtf8(bytes)).toBe(td.decode(bytes));
  });

  it('decodes only its own bytes of a larger buffer', () => {
    const whole = Buffer.from('xx{"a":"b"}yy');
    const part = whole.subarray(2, 11);
    expect(decodeUtf8(part)).toBe('{"a":"b"}');
    const nonAscii = Buffer.from('é{"a":"é"}é').subarray(2, 13);
    expect(decodeUtf8(nonAscii)).toBe(td.decode(nonAscii));
  });
});

describe('the client over the fast paths', () => {
  let srv: TestHttpServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('aborts a slow response through the attempt signal (timeout) and through the caller signal', async () => {
    srv = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      // Never ends: only an abort can finish the request.
    });
    const http = createHttpClient({ retries: 0 });
    await expect(http.request({ url: `${srv.url}/slow`, timeoutMs: 100 })).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(http.request({ url: `${srv.url}/slow`, signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('sends the same request headers and exposes the response headers as a Headers', async () => {
    srv = await startHttpServer((req, res) => {
      res.setHeader('X-Echo-Accept', req.headers.accept ?? '');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('Link', '</next>; rel="next"');
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":"ü"}');
    });
    const http = createHttpClient({ retries: 0 });
    const res = await http.request({ url: `${srv.url}/x`, headers: { Accept: ' application/json ' } });
    expect(res.headers).toBeInstanceOf(Headers);
    expect(res.headers.get('x-echo-accept')).toBe('application/json');
    expect(res.headers.get('LINK')).toBe('</next>; rel="next"');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.json()).toEqual({ ok: 'ü' });
    const recorded = srv.requests.at(-1)!;
    expect(recorded.headers.accept).toBe('application/json');
    expect(recorded.headers['user-agent']).toMatch(/^tidewatch\//);
  });
});
