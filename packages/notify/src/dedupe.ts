/**
 * Duplicate suppression as Flux's event server does it (§2.2): one event per key per window
 * (default 5 minutes), on a pluggable store.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { apiGroup } from './alert.js';
import type { FluxEvent } from './types.js';

/**
 * Where dedupe keys live. `claim` must be atomic per key: it returns true when the key was free
 * (or its window expired) and is now taken until `now + windowMs`, false for a duplicate.
 */
export interface DedupeStore {
  /** Takes `key` for `windowMs` unless it is already taken. */
  claim(key: string, windowMs: number, now: number): boolean | Promise<boolean>;
}

/**
 * The dedupe key of an event: hex SHA-256 of `event/name=…/namespace=…/kind=…/message=…` plus
 * `originRevision=…`, `revision=…`, `token=…` when the (still prefixed) metadata has them.
 * Severity, reason, timestamp and other metadata are not part of it.
 */
export function dedupeKey(event: FluxEvent): string {
  const ref = event.involvedObject;
  const parts = [
    'event',
    `name=${ref.name}`,
    `namespace=${ref.namespace ?? ''}`,
    `kind=${ref.kind}`,
    `message=${event.message}`,
  ];
  const group = apiGroup(ref.apiVersion);
  const meta = event.metadata ?? {};
  for (const key of ['originRevision', 'revision', 'token']) {
    const v = meta[`${group}/${key}`];
    if (v !== undefined) parts.push(`${key}=${v}`);
  }
  return createHash('sha256').update(parts.join('/'), 'utf8').digest('hex');
}

/** Options of {@link createMemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /**
   * Most keys kept; the oldest are dropped first beyond it.
   * @default 100000
   */
  readonly maxKeys?: number;
}

/**
 * The default in-memory store: a token bucket of one token per window per key, as Flux's
 * limiter; expired keys are swept after twice the window.
 */
export function createMemoryDedupeStore(options: MemoryDedupeStoreOptions = {}): DedupeStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const until = new Map<string, number>();
  let lastSweep = 0;
  return {
    claim(key, windowMs, now) {
      if (now - lastSweep > 2 * windowMs) {
        for (const [k, t] of until) if (t + windowMs <= now) until.delete(k);
        lastSweep = now;
      }
      const taken = until.get(key);
      if (taken !== undefined && taken > now) return false;
      until.delete(key);
      until.set(key, now + windowMs);
      if (until.size > maxKeys) {
        const oldest = until.keys().next();
        if (!oldest.done) until.delete(oldest.value);
      }
      return true;
    },
  };
}
