import { TidewatchError } from '@tidewatch/core';
import { expect, it } from 'vitest';
import { encodeOtlpTraceRequest, loadOtlpRequestType, uint64Bits } from './encode.js';

it('without protobufjs installed, otel fails with NOTIFY_UNSUPPORTED naming the package', async () => {
  const missing = () =>
    Promise.reject(
      Object.assign(new Error("Cannot find package 'protobufjs'"), { code: 'ERR_MODULE_NOT_FOUND' }),
    );
  const err = await loadOtlpRequestType('notify:otel', missing).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TidewatchError);
  expect((err as TidewatchError).code).toBe('NOTIFY_UNSUPPORTED');
  expect((err as Error).message).toBe(
    "[notify:otel] the optional package 'protobufjs' is not installed: add it to your dependencies to use this provider",
  );
});

it('encodes an empty request to zero bytes and 64-bit times exactly', async () => {
  expect(await encodeOtlpTraceRequest({ resourceSpans: [] }, 'notify:otel')).toHaveLength(0);
  const ns = 1_714_558_830_123_456_789n;
  const bits = uint64Bits(ns);
  expect((BigInt(bits.high) << 32n) | BigInt(bits.low)).toBe(ns);
});
