import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, requireBinary, spawnService, tempDir } from './process.js';

/** Options for {@link startNatsServer}. */
export interface StartNatsServerOptions {
  /**
   * Extra nats-server configuration (its own syntax), appended after the `listen` line, e.g.
   * `authorization { user: a, password: b }`.
   */
  readonly config?: string;
}

/** A running nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The server's temp folder (config, store). */
  readonly dir: string;
  /** Everything the server printed so far. */
  output(): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's `nats-server` on a free loopback port in a fresh temp folder and waits until it
 * accepts connections.
 */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServer> {
  const bin = requireBinary('nats-server', 'nats-server');
  const dir = await tempDir('tidewatch-nats-');
  const port = await freePort();
  const conf = join(dir.path, 'nats.conf');
  await writeFile(conf, `listen: 127.0.0.1:${port}\n${options.config ?? ''}\n`, 'utf8');
  let service;
  try {
    service = await spawnService(bin, { args: ['-c', conf], cwd: dir.path, port });
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
  const running = service;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir: dir.path,
    output: () => running.output(),
    async stop() {
      await running.stop();
      await dir.cleanup();
    },
  };
}
