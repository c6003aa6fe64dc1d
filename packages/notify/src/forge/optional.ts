/**
 * Loading of optional SDK packages (`nats`, `@sentry/core`, …) on first use, so that a program
 * that never uses a provider never loads (or needs) its library.
 *
 * @packageDocumentation
 */
import { NotifyError } from '../errors.js';

/**
 * Imports an optional peer dependency, or rejects with a `NOTIFY_UNSUPPORTED` error that names
 * the package to install.
 */
export async function loadOptional<T>(load: () => Promise<T>, pkg: string, scope: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new NotifyError(
        'NOTIFY_UNSUPPORTED',
        `[${scope}] the optional package '${pkg}' is not installed: add it to your dependencies to use this provider`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Rejects as soon as `signal` aborts; otherwise settles like `promise`. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
