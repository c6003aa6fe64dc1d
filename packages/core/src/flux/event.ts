/**
 * The Flux event (`fluxcd/pkg/apis/event/v1beta1.Event`) and its exact JSON encoding.
 *
 * @packageDocumentation
 */

/**
 * Event severity. `trace` exists in Flux but is never posted to the notification-controller.
 */
export type EventSeverity = 'info' | 'error' | 'trace';

/**
 * The Kubernetes object reference of the Flux object an event is about
 * (`corev1.ObjectReference`). Empty fields are left out of the JSON.
 */
export interface EventInvolvedObject {
  /** Object kind, e.g. `ImagePolicy`. */
  readonly kind: string;
  /** Object namespace. */
  readonly namespace?: string;
  /** Object name. */
  readonly name: string;
  /** Object UID (Kubernetes only; tidewatch leaves it empty). */
  readonly uid?: string;
  /** API version, e.g. `image.toolkit.fluxcd.io/v1`. Its group prefixes controller metadata keys. */
  readonly apiVersion?: string;
  /** Resource version (Kubernetes only). */
  readonly resourceVersion?: string;
  /** Field path (Kubernetes only). */
  readonly fieldPath?: string;
}

/**
 * A Flux event, field for field as Flux's controllers post it to the notification-controller
 * (`spec/notify.md` §1.1). {@link encodeEvent} turns it into the exact bytes Go would send.
 *
 * @example
 * ```ts
 * const event: Event = {
 *   involvedObject: { kind: 'ImagePolicy', namespace: 'flux-system', name: 'coder' },
 *   severity: 'info',
 *   timestamp: new Date(),
 *   message: "Latest image tag for ghcr.io/coder/coder resolved to v2.16.1 (previously v2.16.0)",
 *   reason: 'Succeeded',
 *   reportingController: 'image-reflector-controller',
 * };
 * ```
 */
export interface Event {
  /** The object the event is about. */
  readonly involvedObject: EventInvolvedObject;
  /** `info` or `error` (`trace` is never posted). */
  readonly severity: EventSeverity;
  /**
   * When the event happened. Encoded as RFC 3339 in UTC with second precision
   * (`2022-10-28T07:26:19Z`); an invalid date encodes as `null`, as Go's zero time does.
   */
  readonly timestamp: Date;
  /** Human-readable text (the CRD allows up to 39 000 characters). */
  readonly message: string;
  /** CamelCase machine reason, e.g. `ReconciliationSucceeded`. */
  readonly reason: string;
  /** Extra string metadata; left out of the JSON when empty. Keys are sorted when encoded. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Name of the reporting controller, e.g. `image-reflector-controller`. Always encoded (may be `""`). */
  readonly reportingController: string;
  /** Reporting instance (pod hostname); left out when empty. */
  readonly reportingInstance?: string;
}

/** Go's `encoding/json` string encoding with HTML escaping (its default `Marshal` behaviour). */
function goString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const ch = value[i]!;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + value[i + 1]!;
        i++;
      } else {
        out += '\\ufffd'; // Go replaces invalid UTF-8 (a lone surrogate here) with U+FFFD
      }
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b': // Go ≥ 1.22 writes \b and \f short
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      default:
        if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
          out += `\\u${code.toString(16).padStart(4, '0')}`;
        } else {
          out += ch;
        }
    }
  }
  return `${out}"`;
}

/** Byte-wise (UTF-8) key order, as Go sorts map keys. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Formats a timestamp as Kubernetes' `metav1.Time` does: RFC 3339, UTC, whole seconds, or `null`
 * for an invalid date.
 */
export function formatEventTimestamp(timestamp: Date): string | null {
  const ms = timestamp.getTime();
  if (Number.isNaN(ms)) return null;
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * Encodes an event into exactly the bytes Go's `encoding/json` produces for Flux's `Event` struct:
 * fields in declaration order, empty optional fields left out, metadata keys sorted by UTF-8 bytes,
 * no spaces, `<` `>` `&` U+2028 U+2029 escaped as `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`, other
 * non-ASCII as UTF-8, the timestamp in RFC 3339 with second precision. An HMAC over these bytes
 * matches what a Flux receiver computes (`generic-hmac`).
 *
 * @example
 * ```ts
 * const body = encodeEvent(event);
 * const signature = createHmac('sha256', key).update(body).digest('hex');
 * ```
 */
export function encodeEvent(event: Event): string {
  const o = event.involvedObject;
  const ref: string[] = [];
  const refFields = [
    'kind',
    'namespace',
    'name',
    'uid',
    'apiVersion',
    'resourceVersion',
    'fieldPath',
  ] as const;
  for (const field of refFields) {
    const value = o[field];
    if (value) ref.push(`${goString(field)}:${goString(value)}`);
  }
  const parts = [`"involvedObject":{${ref.join(',')}}`, `"severity":${goString(event.severity)}`];
  const timestamp = formatEventTimestamp(event.timestamp);
  parts.push(`"timestamp":${timestamp === null ? 'null' : goString(timestamp)}`);
  parts.push(`"message":${goString(event.message)}`, `"reason":${goString(event.reason)}`);
  const metadata = event.metadata ?? {};
  const keys = Object.keys(metadata).sort(compareUtf8);
  if (keys.length > 0) {
    parts.push(`"metadata":{${keys.map((k) => `${goString(k)}:${goString(metadata[k]!)}`).join(',')}}`);
  }
  parts.push(`"reportingController":${goString(event.reportingController)}`);
  if (event.reportingInstance) parts.push(`"reportingInstance":${goString(event.reportingInstance)}`);
  return `{${parts.join(',')}}`;
}
