/**
 * Reading a response body into memory under a byte cap, interruptible by a signal.
 *
 * @packageDocumentation
 */

/** Thrown by {@link readBodyCapped} when the body exceeds the cap. */
export class BodyTooLargeSignal extends Error {
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
  }
}

/**
 * Rejects with `signal.reason` as soon as `signal` aborts, otherwise settles like `promise`.
 * The losing promise's rejection is swallowed so that it never surfaces as unhandled.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the original rejection through
        reject(error);
      },
    );
  });
}

const EMPTY = new Uint8Array(0);

/**
 * Reads a whole body stream, failing with {@link BodyTooLargeSignal} (and cancelling the stream) as
 * soon as more than `limit` bytes have arrived. The cap counts the bytes the stream yields, which
 * for `fetch` are the decoded (decompressed) bytes, whatever `Content-Length` claimed.
 */
export function readBodyCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  return readBodyCappedWith(body, limit, signal ? (p) => raceAbort(p, signal) : (p) => p);
}

/**
 * {@link readBodyCapped} with the interruption given as a function that races each read against
 * whatever aborts it (one shared abort promise per attempt is cheaper than a listener per read).
 */
export async function readBodyCappedWith(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  race: <T>(promise: Promise<T>) => Promise<T>,
): Promise<Uint8Array> {
  if (!body) return EMPTY;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await race(reader.read());
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw new BodyTooLargeSignal(limit);
      chunks.push(value);
    }
  } catch (error) {
    // Cancelling also tells the transport to stop downloading (and drop the connection).
    reader.cancel().catch(() => {});
    throw error;
  }
  reader.releaseLock();
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
