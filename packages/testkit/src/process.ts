import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder, removed by `cleanup`. */
export interface TempDir {
  readonly path: string;
  cleanup(): Promise<void>;
}

/** Creates a fresh folder under the OS temp dir (never a fixed path: other processes share /tmp). */
export async function tempDir(prefix = 'tidewatch-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Asks the kernel for a free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ port, host });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Returns the absolute path of a binary, or throws a clear error naming the Debian package to
 * install (`node scripts/setup.mjs` installs all of them).
 */
export function requireBinary(
  name: string,
  debianPackage: string,
  candidates: readonly string[] = [],
): string {
  for (const c of [...candidates, `/usr/sbin/${name}`, `/usr/bin/${name}`]) {
    if (spawnSync('test', ['-x', c]).status === 0) return c;
  }
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new Error(
    `test service binary '${name}' is missing: run 'node scripts/setup.mjs' (Debian package '${debianPackage}')`,
  );
}

/** Options for {@link spawnService}. */
export interface SpawnServiceOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The service is ready once this port accepts connections. */
  readonly port: number;
  readonly readyTimeoutMs?: number;
}

/** A running service process. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s) and its process group. */
  stop(): Promise<void>;
}

/** Starts a service binary in its own process group and waits until its port accepts connections. */
export async function spawnService(command: string, options: SpawnServiceOptions): Promise<ServiceProcess> {
  const child = spawn(command, [...(options.args ?? [])], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const append = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([
      waitForPort(options.port, options.readyTimeoutMs ?? 15_000),
      exited.then(() => {
        throw new Error(`${command} exited before it was ready:\n${out}`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, output: () => out, stop };
}
