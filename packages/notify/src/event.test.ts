import { describe, expect, it } from 'vitest';
import {
  compareBytes,
  describeReason,
  encodeEvent,
  goJson,
  goMap,
  markdownPost,
  sortedEntries,
  splitCamelCase,
  titleCase,
} from './event.js';
import type { FluxEvent } from './types.js';

describe('event helpers', () => {
  it('compares keys by UTF-8 bytes, as Go sorts map keys', () => {
    expect(compareBytes('a', 'b')).toBeLessThan(0);
    expect(compareBytes('B', 'a')).toBeLessThan(0);
    // U+FF61 sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units.
    expect(compareBytes('\uff61', '😀')).toBeLessThan(0);
    expect(sortedEntries({ '😀': '1', '\uff61': '2', z: '3' }).map(([k]) => k)).toEqual([
      'z',
      '\uff61',
      '😀',
    ]);
    expect(goJson(goMap({ b: 1, a: 2, '10': 3 }))).toBe('{"10":3,"a":2,"b":1}');
  });

  it('splits reasons at camel-case boundaries (descriptions of PagerDuty and git statuses)', () => {
    expect(splitCamelCase('HealthCheckFailed')).toEqual(['Health', 'Check', 'Failed']);
    expect(splitCamelCase('OCIRepository')).toEqual(['OCI', 'Repository']);
    expect(describeReason('ReconciliationSucceeded')).toBe('reconciliation succeeded');
    expect(describeReason('ArtifactFailed')).toBe('artifact failed');
  });

  it('title-cases as x/text does: the rest of each word lower-cased', () => {
    expect(titleCase('ReconciliationSucceeded')).toBe('Reconciliationsucceeded');
    expect(titleCase('health check')).toBe('Health Check');
  });

  it('encodes events like Go, with string, Date or null timestamps', () => {
    const base: FluxEvent = {
      involvedObject: { kind: 'K', name: 'n' },
      severity: 'info',
      timestamp: '2024-01-02T03:04:05.678+01:00',
      message: '<&>',
      reason: 'R',
      reportingController: '',
    };
    expect(encodeEvent(base)).toBe(
      '{"involvedObject":{"kind":"K","name":"n"},"severity":"info","timestamp":"2024-01-02T02:04:05Z","message":"\\u003c\\u0026\\u003e","reason":"R","reportingController":""}',
    );
    expect(encodeEvent({ ...base, timestamp: null })).toContain('"timestamp":null');
    expect(encodeEvent({ ...base, timestamp: new Date('2024-01-02T02:04:05Z') })).toContain(
      '"timestamp":"2024-01-02T02:04:05Z"',
    );
  });

  it('the shared Markdown post sorts metadata and leaves out change_request', () => {
    expect(
      markdownPost({
        involvedObject: { kind: 'Kustomization', namespace: 'ns', name: 'app' },
        severity: 'error',
        timestamp: null,
        message: 'failed',
        reason: 'R',
        metadata: { z: '1', change_request: '7', a: '2' },
        reportingController: 'c',
      }),
    ).toBe(
      '## Flux Status\n\n\u26a0\ufe0f Kustomization/ns/app\n\nfailed\n\nMetadata:\n* `a`: 2\n* `z`: 1\n',
    );
  });
});
