import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryDedupeStore, dedupeKey } from './dedupe.js';
import type { FluxEvent } from './types.js';

const event: FluxEvent = {
  involvedObject: {
    kind: 'GitRepository',
    namespace: 'ns',
    name: 'repo',
    apiVersion: 'source.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: new Date('2024-01-01T00:00:00Z'),
  message: 'stored artifact',
  reason: 'NewArtifact',
  metadata: {
    'source.toolkit.fluxcd.io/revision': 'main@sha1:1',
    'source.toolkit.fluxcd.io/token': 'tok',
    'source.toolkit.fluxcd.io/other': 'ignored',
  },
  reportingController: 'source-controller',
};

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('dedupe key (§2.2)', () => {
  it('is SHA-256 of the /-joined components, with revision and token from prefixed metadata', () => {
    expect(dedupeKey(event)).toBe(
      sha(
        'event/name=repo/namespace=ns/kind=GitRepository/message=stored artifact/revision=main@sha1:1/token=tok',
      ),
    );
  });
  it('includes originRevision before revision, and ignores severity, reason, timestamp, other metadata', () => {
    const e: FluxEvent = {
      ...event,
      severity: 'error',
      reason: 'Other',
      timestamp: new Date(0),
      metadata: { 'source.toolkit.fluxcd.io/originRevision': 'o', 'source.toolkit.fluxcd.io/revision': 'r' },
    };
    expect(dedupeKey(e)).toBe(
      sha(
        'event/name=repo/namespace=ns/kind=GitRepository/message=stored artifact/originRevision=o/revision=r',
      ),
    );
    expect(dedupeKey({ ...e, metadata: { ...e.metadata, x: '1' } })).toBe(dedupeKey(e));
  });
});

describe('memory dedupe store', () => {
  it('one claim per key per window', () => {
    const store = createMemoryDedupeStore();
    expect(store.claim('k', 1000, 0)).toBe(true);
    expect(store.claim('k', 1000, 999)).toBe(false);
    expect(store.claim('other', 1000, 999)).toBe(true);
    expect(store.claim('k', 1000, 1000)).toBe(true);
  });
  it('stays bounded', () => {
    const store = createMemoryDedupeStore({ maxKeys: 2 });
    store.claim('a', 1000, 0);
    store.claim('b', 1000, 0);
    store.claim('c', 1000, 0);
    expect(store.claim('a', 1000, 1)).toBe(true); // evicted, so claimable again
  });
});
