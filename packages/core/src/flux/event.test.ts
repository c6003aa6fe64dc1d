import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Event } from './event.js';
import { encodeEvent, formatEventTimestamp } from './event.js';

/** The upstream generic-hmac test vector (spec/notify.md §1.1). */
const VECTOR_JSON =
  '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}';

const vector: Event = {
  // Fields deliberately given out of order: the encoder must not depend on insertion order.
  reportingInstance: 'source-controller-xyz',
  metadata: { test: 'metadata' },
  reason: 'reason',
  message: 'message',
  timestamp: new Date('2022-09-30T06:40:29.123Z'),
  severity: 'info',
  involvedObject: { name: 'webapp', namespace: 'gitops-system', kind: 'GitRepository' },
  reportingController: 'source-controller',
};

describe('encodeEvent', () => {
  it('reproduces the upstream HMAC test vector byte for byte', () => {
    const body = encodeEvent(vector);
    expect(body).toBe(VECTOR_JSON);
    const signature = createHmac('sha256', '7152fed34dd6149a7c75a276c510da27cb6f82b0')
      .update(body)
      .digest('hex');
    expect(`sha256=${signature}`).toBe(
      'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7',
    );
  });

  it('orders involvedObject fields as Go does and omits empty ones', () => {
    const body = encodeEvent({
      ...vector,
      involvedObject: {
        fieldPath: 'spec',
        resourceVersion: '7',
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        uid: 'u-1',
        name: 'n',
        namespace: '',
        kind: 'ImagePolicy',
      },
    });
    expect(body).toContain(
      '"involvedObject":{"kind":"ImagePolicy","name":"n","uid":"u-1","apiVersion":"image.toolkit.fluxcd.io/v1","resourceVersion":"7","fieldPath":"spec"}',
    );
  });

  it('sorts metadata keys by UTF-8 bytes and omits empty metadata and reportingInstance', () => {
    const body = encodeEvent({
      ...vector,
      metadata: {
        revision: 'r',
        Zeta: 'z',
        'a/b': '1',
        '\u00e9': 'e',
        '\u{1f600}': 'smile',
        '\uff5e': 'wide',
      },
    });
    // Byte order: "Zeta" < "a/b" < "revision" < "é" (C3 A9) < "～" (EF BD 9E) < "😀" (F0 …).
    expect(body).toContain(
      '"metadata":{"Zeta":"z","a/b":"1","revision":"r","\u00e9":"e","\uff5e":"wide","\u{1f600}":"smile"}',
    );
    const bare = encodeEvent({ ...vector, metadata: {}, reportingInstance: '' });
    expect(bare).not.toContain('metadata');
    expect(bare).not.toContain('reportingInstance');
    expect(bare.endsWith('"reportingController":"source-controller"}')).toBe(true);
  });

  it('escapes like Go encoding/json with HTML escaping', () => {
    const body = encodeEvent({
      ...vector,
      message: 'a<b>&c\u2028\u2029 "q" \\ \n\r\t\b\f\u0001\u001f é ✓ \u{1f600}',
    });
    expect(body).toContain(
      '"message":"a\\u003cb\\u003e\\u0026c\\u2028\\u2029 \\"q\\" \\\\ \\n\\r\\t\\b\\f\\u0001\\u001f é ✓ \u{1f600}"',
    );
  });

  it('replaces lone surrogates (invalid UTF-8 in Go) with \\ufffd', () => {
    expect(encodeEvent({ ...vector, message: 'x\ud800y\udc00' })).toContain('"message":"x\\ufffdy\\ufffd"');
  });

  it('always writes reportingController, even empty', () => {
    expect(encodeEvent({ ...vector, reportingController: '' })).toContain('"reportingController":""');
  });

  it('writes timestamps as RFC 3339 UTC seconds, and an invalid date as null', () => {
    expect(formatEventTimestamp(new Date('2022-10-28T09:26:19.999+02:00'))).toBe('2022-10-28T07:26:19Z');
    expect(encodeEvent({ ...vector, timestamp: new Date(Number.NaN) })).toContain('"timestamp":null,');
  });

  it('produces JSON that parses back to the same values', () => {
    const parsed = JSON.parse(encodeEvent({ ...vector, message: '<&>\u2028' })) as { message: string };
    expect(parsed.message).toBe('<&>\u2028');
  });
});
