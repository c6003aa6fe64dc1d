/**
 * The transport thread (`http-thread.ts`, `http-worker.ts`): the client's whole test suites run again
 * with every request sent from the thread (`TIDEWATCH_HTTP_THREAD=on`), then what only the thread
 * has: bodies transferred, aborts passed on, a thread that dies, the `'auto'` switch, and a process
 * that still exits.
 */
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { Socket } from 'node:net';
import { startRawServer } from '@tidewatch/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { createHttpClient } from './http.js';
import {
  AUTO_INLINE_MS,
  AUTO_MIN_CORES,
  AUTO_THREAD_AT,
  AUTO_WINDOW_MS,
  fromWireError,
  setAutoTuningForTests,
  setThreadSpawnForTests,
  stopTransportThread,
  threadStats,
  toWireError,
  transportThreadReady,
} from './http-thread.js';
import { afterThisTest, server } from './test-support/servers.js';

// The suites below create their clients with the environment's mode: every request goes through
// the thread. Dynamic imports, so that the variable is set before they run.
process.env.TIDEWATCH_HTTP_THREAD = 'on';
const before = threadStats.requests;
await import('./http.test.js');
await import('./http-tls.test.js');
await import('./http-transport.test.js');

afterAll(() => {
  // The suites really went through the thread (each test of theirs that uses the built-in
  // transport counts here).
  expect(threadStats.requests - before).toBeGreaterThan(100);
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((ok) => setTimeout(ok, 10));
  }
}

/** `'auto'` as on a machine with `cores` cores (real clock, utilization 1), for the current test. */
function machineWithCores(cores: number): void {
  setAutoTuningForTests({ now: () => performance.now(), utilization: () => 1, cores });
  afterThisTest(() => setAutoTuningForTests(undefined));
}

describe('transport thread', () => {
  it('answers as the inline transport does, with a body in a buffer of its own', async () => {
    const big = 'x'.repeat(200_000);
    const srv = await server((req, res) => {
      res.setHeader('x-one', 'a');
      res.setHeader('x-many', ['b', 'c']);
      res.end(req.url === '/big' ? big : `hello ${req.url}`);
    });
    const on = createHttpClient({ thread: 'on' });
    const off = createHttpClient({ thread: 'off' });
    const sent = threadStats.requests;
    for (const path of ['/a', '/big']) {
      const [a, b] = await Promise.all([
        on.request({ url: `${srv.url}${path}` }),
        off.request({ url: `${srv.url}${path}` }),
      ]);
      expect(a.status).toBe(b.status);
      expect(a.text()).toBe(b.text());
      expect(a.headers.get('x-one')).toBe('a');
      expect(a.headers.get('x-many')).toBe(b.headers.get('x-many'));
      expect([...a.headers.keys()].sort()).toEqual([...b.headers.keys()].sort());
      // Transferred from the thread: nothing else shares its memory.
      expect(a.body.byteOffset).toBe(0);
      expect(a.body.buffer.byteLength).toBe(a.body.byteLength);
    }
    expect(threadStats.requests - sent).toBe(2);
  });

  it('sends the requests of one turn in one message, and answers responses that arrive together in one', async () => {
    const burst = 8;
    // Holds every request until the whole burst is in, then answers them all at once.
    const held: (() => void)[] = [];
    const srv = await server((req, res) => {
      if (req.url === '/warm') return void res.end('warm');
      held.push(() => res.end(`r ${req.url}`));
      if (held.length === burst) for (const answer of held.splice(0)) answer();
    });
    const http = createHttpClient({ thread: 'on' });
    await http.request({ url: `${srv.url}/warm` });
    await until(transportThreadReady);
    // The replies of a burst come in fewer messages than responses when the thread's sockets become
    // readable in the same turn, which is likely but up to the scheduler: a few tries.
    let replies = burst;
    for (let attempt = 0; attempt < 5 && replies >= burst; attempt++) {
      const sent = threadStats.messagesSent;
      const received = threadStats.messagesReceived;
      const requests = threadStats.requests;
      const answers = await Promise.all(
        Array.from({ length: burst }, (_, i) => http.request({ url: `${srv.url}/${attempt}-${i}` })),
      );
      expect(answers.map((a) => a.text())).toEqual(
        Array.from({ length: burst }, (_, i) => `r /${attempt}-${i}`),
      );
      expect(threadStats.requests - requests).toBe(burst);
      // Issued in the same turn: one message to the thread.
      expect(threadStats.messagesSent - sent).toBe(1);
      replies = threadStats.messagesReceived - received;
    }
    expect(replies).toBeLessThan(burst);
  });

  it('passes an abort on: the thread drops the connection of a body being sent', async () => {
    let closed = false;
    const srv = await startRawServer((sock: Socket) => {
      sock.once('data', () => {
        sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\npartial');
      });
      sock.on('close', () => (closed = true));
    });
    afterThisTest(() => srv.close());
    const http = createHttpClient({ thread: 'on', retries: 0 });
    const controller = new AbortController();
    const pending = http.request({ url: srv.url, signal: controller.signal });
    await new Promise((ok) => setTimeout(ok, 200));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    await until(() => closed);
  });

  it('passes a timeout on the same way, and reports it as a timeout', async () => {
    let closed = false;
    const srv = await startRawServer((sock: Socket) => {
      sock.once('data', () => sock.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nslow'));
      sock.on('close', () => (closed = true));
    });
    afterThisTest(() => srv.close());
    const http = createHttpClient({ thread: 'on', retries: 0, timeoutMs: 300 });
    const err = await http.request({ url: srv.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('HTTP_TIMEOUT');
    await until(() => closed);
  });

  it('passes an abort on while the thread reads a body the client asked for later (a redirect not followed)', async () => {
    let closed = false;
    const srv = await startRawServer((sock: Socket) => {
      sock.once('data', () =>
        sock.write('HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 1000000\r\n\r\npartial'),
      );
      sock.on('close', () => (closed = true));
    });
    afterThisTest(() => srv.close());
    const http = createHttpClient({ thread: 'on', retries: 0, timeoutMs: 500 });
    const err = await http.request({ url: srv.url, followRedirects: false }).catch((e: unknown) => e);
    expect((err as HttpError).code).toBe('HTTP_TIMEOUT');
    await until(() => closed);
  });

  it('retries the requests of a thread that dies on a new thread', async () => {
    let calls = 0;
    const srv = await server((_req, res) => {
      calls++;
      // The first request hangs until the thread holding it is gone.
      if (calls === 1) setTimeout(() => res.end('late'), 1500);
      else res.end('fresh');
    });
    const http = createHttpClient({ thread: 'on', backoff: { baseMs: 1, maxMs: 1 } });
    // A thread, ready.
    await http.request({ url: `${srv.url}/warm` });
    calls = 0;
    const started = threadStats.threadsStarted;
    const pending = http.request({ url: `${srv.url}/x` });
    await until(() => calls === 1);
    await stopTransportThread();
    const res = await pending;
    expect(res.text()).toBe('fresh');
    expect(res.attempts).toBe(2);
    expect(threadStats.threadsStarted).toBe(started + 1);
  });

  it("'auto' never uses the thread on a machine with fewer than AUTO_MIN_CORES cores", async () => {
    await stopTransportThread();
    machineWithCores(AUTO_MIN_CORES - 1);
    const srv = await server((_req, res) => void setTimeout(() => res.end('ok'), 20));
    const http = createHttpClient({ thread: 'auto' });
    const started = threadStats.threadsStarted;
    const sent = threadStats.requests;
    await Promise.all(
      Array.from({ length: AUTO_THREAD_AT * 4 }, (_, i) => http.request({ url: `${srv.url}/b${i}` })),
    );
    expect(threadStats.threadsStarted).toBe(started);
    // 'on' is not bound by it.
    await createHttpClient({ thread: 'on' }).request({ url: `${srv.url}/on` });
    expect(threadStats.requests).toBe(sent + 1);
  });

  it("'auto' sends inline until enough exchanges are in flight, then from the thread", async () => {
    await stopTransportThread();
    machineWithCores(AUTO_MIN_CORES);
    const srv = await server((_req, res) => void setTimeout(() => res.end('ok'), 20));
    const http = createHttpClient({ thread: 'auto' });
    const started = threadStats.threadsStarted;
    const sent = threadStats.requests;
    for (let i = 0; i < AUTO_THREAD_AT + 2; i++) await http.request({ url: `${srv.url}/${i}` });
    expect(threadStats.threadsStarted).toBe(started); // one at a time: no thread
    // A burst starts the thread; the burst itself goes inline while it starts.
    await Promise.all(
      Array.from({ length: AUTO_THREAD_AT * 2 }, (_, i) => http.request({ url: `${srv.url}/b${i}` })),
    );
    expect(threadStats.threadsStarted).toBe(started + 1);
    await until(transportThreadReady);
    // Once it is ready, even a single request goes through it.
    await http.request({ url: `${srv.url}/after` });
    expect(threadStats.requests).toBeGreaterThan(sent);
  });

  it("'auto' goes back inline for a while when the calling thread mostly waited on the thread", async () => {
    await stopTransportThread();
    let now = 0;
    let busy = 0.2;
    setAutoTuningForTests({ now: () => now, utilization: () => busy, cores: AUTO_MIN_CORES });
    afterThisTest(() => setAutoTuningForTests(undefined));
    const srv = await server((_req, res) => void res.end('ok'));
    const http = createHttpClient({ thread: 'auto' });
    await Promise.all(
      Array.from({ length: AUTO_THREAD_AT * 2 }, (_, i) => http.request({ url: `${srv.url}/b${i}` })),
    );
    await until(transportThreadReady);
    const onThread = async (): Promise<boolean> => {
      const before = threadStats.requests;
      await http.request({ url: `${srv.url}/x` });
      return threadStats.requests > before;
    };
    const inline = threadStats.autoInline;
    expect(await onThread()).toBe(true); // a window starts
    now += AUTO_WINDOW_MS / 2;
    expect(await onThread()).toBe(true);
    now += AUTO_WINDOW_MS / 2;
    // The window ends with the calling thread busy 20 % of it: inline from now on…
    expect(await onThread()).toBe(false);
    expect(threadStats.autoInline).toBe(inline + 1);
    now += AUTO_INLINE_MS - 1;
    expect(await onThread()).toBe(false);
    // …for AUTO_INLINE_MS; then the thread again, kept while the calling thread is busy.
    now += 1;
    busy = 0.9;
    expect(await onThread()).toBe(true);
    now += AUTO_WINDOW_MS / 2;
    expect(await onThread()).toBe(true);
    now += AUTO_WINDOW_MS / 2;
    expect(await onThread()).toBe(true);
    now += AUTO_WINDOW_MS / 2;
    expect(await onThread()).toBe(true);
    // A pause longer than a window is not judged: a new window starts.
    busy = 0.1;
    now += AUTO_WINDOW_MS * 4;
    expect(await onThread()).toBe(true);
    expect(threadStats.autoInline).toBe(inline + 1);
  });

  it("'off' never uses the thread", async () => {
    const srv = await server((_req, res) => void res.end('ok'));
    const http = createHttpClient({ thread: 'off' });
    const sent = threadStats.requests;
    await Promise.all(Array.from({ length: 20 }, (_, i) => http.request({ url: `${srv.url}/${i}` })));
    expect(threadStats.requests).toBe(sent);
  });

  it('falls back to the calling thread, for good, when the thread cannot start', async () => {
    await stopTransportThread();
    const srv = await server((req, res) => void res.end(`ok ${req.url}`));
    const started = threadStats.threadsStarted;
    setThreadSpawnForTests(() => new Worker('throw new Error("cannot start")', { eval: true }));
    try {
      const http = createHttpClient({ thread: 'on', backoff: { baseMs: 1, maxMs: 1 } });
      const first = await http.request({ url: `${srv.url}/1` });
      expect(first.text()).toBe('ok /1');
      // The request held by the failed thread was retried inline.
      expect(first.attempts).toBe(2);
      expect(threadStats.threadsStarted).toBe(started + 1);
      // No other thread is tried in this process: later requests go inline at once.
      const sent = threadStats.requests;
      const later = await Promise.all([2, 3, 4].map((i) => http.request({ url: `${srv.url}/${i}` })));
      expect(later.map((r) => r.attempts)).toEqual([1, 1, 1]);
      expect(threadStats.threadsStarted).toBe(started + 1);
      expect(threadStats.requests).toBe(sent);
    } finally {
      setThreadSpawnForTests(undefined);
    }
  });

  it('starts a new thread after one it ended itself before it was ready', async () => {
    await stopTransportThread();
    const srv = await server((_req, res) => void res.end('ok'));
    const http = createHttpClient({ thread: 'on' });
    const started = threadStats.threadsStarted;
    const pending = http.request({ url: srv.url });
    // Ended at once, still starting: not a failure to start.
    await stopTransportThread();
    expect((await pending).text()).toBe('ok');
    await http.request({ url: srv.url });
    expect(threadStats.threadsStarted).toBe(started + 2);
  });

  it('rejects an unknown mode, from the options or the environment', () => {
    expect(() => createHttpClient({ thread: 'sometimes' as never })).toThrow(
      /thread: must be one of auto, on, off/,
    );
    const saved = process.env.TIDEWATCH_HTTP_THREAD;
    try {
      process.env.TIDEWATCH_HTTP_THREAD = 'yes';
      expect(() => createHttpClient()).toThrow(/TIDEWATCH_HTTP_THREAD environment variable must be one of/);
      // An option given wins over the environment.
      expect(() => createHttpClient({ thread: 'off' })).not.toThrow();
    } finally {
      process.env.TIDEWATCH_HTTP_THREAD = saved;
    }
  });

  it('rebuilds errors with their class, name, code and causes', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const outer = new TypeError('fetch failed', { cause: inner });
    const rebuilt = fromWireError(toWireError(outer));
    expect(rebuilt).toBeInstanceOf(TypeError);
    expect(rebuilt.message).toBe('fetch failed');
    expect(rebuilt.cause).toBeInstanceOf(Error);
    expect((rebuilt.cause as Error & { code: string }).code).toBe('ECONNREFUSED');
    const named = Object.assign(new Error('socket hang up'), { name: 'SocketError', code: 'UND_ERR_SOCKET' });
    expect(fromWireError(toWireError(named))).toMatchObject({ name: 'SocketError', code: 'UND_ERR_SOCKET' });
    expect(fromWireError(toWireError('plain'))).toMatchObject({ name: 'Error', message: 'plain' });
  });

  it('never keeps a process alive once its requests are answered', () => {
    const script = `
      import http from 'node:http';
      const { createHttpClient } = await import(${JSON.stringify(new URL('./http.ts', import.meta.url).href)});
      const srv = http.createServer((q, r) => r.end('ok ' + q.url)).listen(0, '127.0.0.1');
      await new Promise((ok) => srv.once('listening', ok));
      const client = createHttpClient({ thread: 'on' });
      const url = 'http://127.0.0.1:' + srv.address().port;
      const out = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request({ url: url + '/' + i })));
      console.log(out.filter((r) => r.text() === 'ok /' + out.indexOf(r)).length);
      srv.close();`;
    const started = Date.now();
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.trim()).toBe('20');
    // Well below the idle time of the thread and the keep-alive time of its connections.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
