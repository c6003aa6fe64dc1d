/**
 * A bare TCP server on a free loopback port for tests of what a client does when the other side
 * misbehaves below HTTP: never answers, stalls mid-body, resets, or writes a hand-made response.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** A running {@link startRawServer}. */
export interface RawServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests received so far (a connection counts once its first bytes arrive). */
  readonly count: () => number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP server that hands every accepted socket (and its index) to `onSocket`, which decides
 * what, if anything, to send. Connections that never send a byte are not counted as requests: HTTP
 * clients may open a spare connection.
 */
export async function startRawServer(onSocket: (sock: Socket, index: number) => void): Promise<RawServer> {
  const sockets: Socket[] = [];
  let requests = 0;
  const srv: Server = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.once('data', () => requests++);
    onSocket(sock, sockets.length - 1);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
