/**
 * Loopback servers for the HTTP client's tests, closed after each test. Importing this module
 * registers the `afterEach` that closes them (once per test file, whichever suites it imports).
 */
import type { Socket } from 'node:net';
import { startHttpServer, startRawServer, type TestHttpServer } from '@tidewatch/testkit';
import { afterEach } from 'vitest';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Runs `fn` after the current test. */
export function afterThisTest(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A recording HTTP server, closed after the test. */
export async function server(handler: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer> {
  const srv = await startHttpServer(handler);
  cleanups.push(() => srv.close());
  return srv;
}

/** A TCP server that accepts connections and lets `onSocket` decide what (if anything) to send. */
export async function rawServer(
  onSocket: (sock: Socket, index: number) => void,
): Promise<{ url: string; count: () => number }> {
  const srv = await startRawServer(onSocket);
  cleanups.push(() => srv.close());
  return srv;
}
