/**
 * OTLP/HTTP protobuf encoding for the `otel` provider: the subset of the OpenTelemetry protocol
 * messages one span needs (`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` and
 * what it contains, field numbers as in opentelemetry-proto), encoded with `protobufjs` (an
 * optional peer dependency, loaded on first use).
 *
 * @packageDocumentation
 */
import type * as ProtobufLight from 'protobufjs/light.js';
import { loadOptional } from '../../forge/optional.js';

/** A 64-bit unsigned integer as protobufjs takes it without a `Long` library. */
export interface Uint64Bits {
  readonly low: number;
  readonly high: number;
  readonly unsigned: true;
}

/** `opentelemetry.proto.common.v1.KeyValue` with a string value (all Flux sends). */
export interface OtlpKeyValue {
  readonly key: string;
  readonly value: { readonly stringValue: string };
}

/** `opentelemetry.proto.trace.v1.Span` (the fields Go's exporter fills for a Flux span). */
export interface OtlpSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano?: Uint64Bits;
  readonly endTimeUnixNano?: Uint64Bits;
  readonly attributes: readonly OtlpKeyValue[];
  readonly status: { readonly code?: number; readonly message?: string };
  readonly flags: number;
}

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` with one span. */
export interface OtlpTraceRequest {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly OtlpKeyValue[] };
    readonly scopeSpans: readonly {
      readonly scope: { readonly name: string };
      readonly spans: readonly OtlpSpan[];
    }[];
    readonly schemaUrl: string;
  }[];
}

const field = (id: number, type: string, repeated = false) =>
  repeated ? { id, type, rule: 'repeated' } : { id, type };

/**
 * The message definitions, as a protobufjs JSON descriptor. Names are camelCase (protobufjs'
 * convention); numbers and types are those of opentelemetry-proto v1 (common, resource, trace,
 * collector/trace). Enums are declared as `int32`, which has the same varint wire form.
 */
const OTLP_DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue'] } },
          fields: {
            stringValue: field(1, 'string'),
            boolValue: field(2, 'bool'),
            intValue: field(3, 'int64'),
            doubleValue: field(4, 'double'),
            bytesValue: field(7, 'bytes'),
          },
        },
        KeyValue: { fields: { key: field(1, 'string'), value: field(2, 'AnyValue') } },
        InstrumentationScope: {
          fields: {
            name: field(1, 'string'),
            version: field(2, 'string'),
            attributes: field(3, 'KeyValue', true),
            droppedAttributesCount: field(4, 'uint32'),
          },
        },
        Resource: {
          fields: { attributes: field(1, 'KeyValue', true), droppedAttributesCount: field(2, 'uint32') },
        },
        Status: { fields: { message: field(2, 'string'), code: field(3, 'int32') } },
        Span: {
          fields: {
            traceId: field(1, 'bytes'),
            spanId: field(2, 'bytes'),
            traceState: field(3, 'string'),
            parentSpanId: field(4, 'bytes'),
            name: field(5, 'string'),
            kind: field(6, 'int32'),
            startTimeUnixNano: field(7, 'fixed64'),
            endTimeUnixNano: field(8, 'fixed64'),
            attributes: field(9, 'KeyValue', true),
            droppedAttributesCount: field(10, 'uint32'),
            droppedEventsCount: field(12, 'uint32'),
            droppedLinksCount: field(14, 'uint32'),
            status: field(15, 'Status'),
            flags: field(16, 'fixed32'),
          },
        },
        ScopeSpans: {
          fields: {
            scope: field(1, 'InstrumentationScope'),
            spans: field(2, 'Span', true),
            schemaUrl: field(3, 'string'),
          },
        },
        ResourceSpans: {
          fields: {
            resource: field(1, 'Resource'),
            scopeSpans: field(2, 'ScopeSpans', true),
            schemaUrl: field(3, 'string'),
          },
        },
        ExportTraceServiceRequest: { fields: { resourceSpans: field(1, 'ResourceSpans', true) } },
      },
    },
  },
};

type ProtobufModule = typeof ProtobufLight;
let requestType: Promise<ProtobufLight.Type> | undefined;

/**
 * Builds the `ExportTraceServiceRequest` type from the protobufjs module `importer` returns. A
 * missing package is a `NOTIFY_UNSUPPORTED` error naming it.
 */
export async function loadOtlpRequestType(
  scope: string,
  importer: () => Promise<unknown> = () => import('protobufjs/light.js'),
): Promise<ProtobufLight.Type> {
  const mod = (await loadOptional(importer, 'protobufjs', scope)) as ProtobufModule & {
    default?: ProtobufModule;
  };
  const pb = mod.default ?? mod;
  return pb.Root.fromJSON(OTLP_DESCRIPTOR).lookupType('otlp.ExportTraceServiceRequest');
}

/**
 * Encodes an `ExportTraceServiceRequest` to protobuf bytes, as Go's `proto.Marshal` lays them
 * out (fields in number order; callers leave zero values out, as proto3 does).
 */
export async function encodeOtlpTraceRequest(request: OtlpTraceRequest, scope: string): Promise<Uint8Array> {
  requestType ??= loadOtlpRequestType(scope).catch((err: unknown) => {
    requestType = undefined; // a later call retries (the package may have been installed since)
    throw err;
  });
  const type = await requestType;
  return type.encode(request).finish();
}

/** Nanoseconds (a bigint) as protobufjs' 64-bit `{ low, high }` form. */
export function uint64Bits(value: bigint): Uint64Bits {
  const v = BigInt.asUintN(64, value);
  return { low: Number(v & 0xffffffffn), high: Number(v >> 32n), unsigned: true };
}
