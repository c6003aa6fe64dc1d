/**
 * Records whose values are secret: they print and serialise as `***`.
 *
 * @packageDocumentation
 */
import { REDACTED } from '../redact.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Returns a frozen copy of `values` whose values never show: `util.inspect`, `console.log` and
 * `JSON.stringify` print every value as `***` (keys stay visible). Reading a key still gives the
 * real value. The masking methods are non-enumerable, so `Object.keys` lists only the data keys.
 */
export function maskedRecord(values: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: false, configurable: false });
  }
  const masked = () => Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
  if (!Object.hasOwn(values, 'toJSON'))
    Object.defineProperty(out, 'toJSON', { value: masked, enumerable: false });
  Object.defineProperty(out, INSPECT, { value: masked, enumerable: false });
  return Object.freeze(out);
}
