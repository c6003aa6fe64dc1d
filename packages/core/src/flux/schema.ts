/**
 * A small structural-schema walker over `yaml` nodes: it checks types, required fields, enums,
 * patterns, lengths and unknown fields the way the Kubernetes API server checks a CRD's OpenAPI
 * schema, applies defaults, and gives every problem the line of the offending node.
 *
 * It works on the YAML AST rather than on plain values so that each problem has a line, so that a
 * plain scalar can be judged by how Kubernetes tooling (YAML 1.1) would read it, and so that merge
 * keys and aliases resolve exactly once.
 *
 * @packageDocumentation
 */
import type { Document, LineCounter, Node, Pair } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { redactText } from '../redact.js';
import { compileGoRegex, RegexError } from '../regex.js';

/** A string field. */
export interface StringSchema {
  readonly type: 'string';
  readonly pattern?: RegExp;
  /** Plain words for the pattern, used in messages. */
  readonly patternHint?: string;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly default?: string;
  /** The value is a Go RE2 regular expression that must compile. */
  readonly regex?: boolean;
}

/** A boolean field. */
export interface BooleanSchema {
  readonly type: 'boolean';
  readonly default?: boolean;
}

/** An object with known fields; any other field is a problem. */
export interface ObjectSchema {
  readonly type: 'object';
  readonly fields: Readonly<Record<string, PropSchema>>;
  /** Field names accepted and dropped (e.g. `status`, `metadata.uid`). */
  readonly ignored?: readonly string[];
  readonly default?: Readonly<Record<string, unknown>>;
}

/** A list. */
export interface ArraySchema {
  readonly type: 'array';
  readonly items: FieldSchema;
  readonly maxItems?: number;
  readonly default?: readonly unknown[];
}

/** A map of string to string (labels, annotations, Secret data). */
export interface MapSchema {
  readonly type: 'map';
  /** Whether the values are secret: never echoed in messages. */
  readonly secret?: boolean;
}

/** Any field schema. */
export type FieldSchema = StringSchema | BooleanSchema | ObjectSchema | ArraySchema | MapSchema;

/** A field of an object, with its presence rules. */
export type PropSchema = FieldSchema & {
  readonly required?: boolean;
  /** When set, using the field gives this warning. */
  readonly deprecated?: string;
};

/** State of one walk (one document). */
export interface WalkContext {
  readonly doc: Document.Parsed | Document;
  readonly lineCounter: LineCounter | undefined;
  readonly file: string | undefined;
  /** Line to use when a node has no position (values built from JS objects). */
  readonly fallbackLine: number | undefined;
  /** Never echo scalar values in messages (Secret documents). */
  readonly secret: boolean;
  readonly problems: ConfigProblem[];
  readonly warnings: ConfigProblem[];
  /** Line of every path visited, for rules that run after the walk. */
  readonly lines: Map<string, number>;
}

/** Plain scalars Kubernetes tooling (YAML 1.1, go-yaml v2) reads as something other than a string. */
const YAML11_BOOL_TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const YAML11_BOOL_FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const YAML11_NULL = /^(?:~|null|Null|NULL)?$/;
const YAML11_INT = /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$/;
const YAML11_FLOAT =
  /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** What YAML 1.1 makes of a plain scalar: `string`, or the type it is read as. */
function yaml11Type(source: string): 'string' | 'boolean' | 'null' | 'number' {
  if (YAML11_BOOL_TRUE.test(source) || YAML11_BOOL_FALSE.test(source)) return 'boolean';
  if (YAML11_NULL.test(source)) return 'null';
  if (YAML11_INT.test(source) || YAML11_FLOAT.test(source)) return 'number';
  return 'string';
}

/** 1-based line of a node, if it has a position. */
export function lineOf(ctx: WalkContext, node: Node | Pair | null | undefined): number | undefined {
  const range = node && 'range' in node ? node.range : undefined;
  if (!range || !ctx.lineCounter) return ctx.fallbackLine;
  return ctx.lineCounter.linePos(range[0]).line;
}

function push(
  list: ConfigProblem[],
  ctx: WalkContext,
  path: string,
  message: string,
  line: number | undefined,
) {
  const problem: { path: string; message: string; file?: string; line?: number } = { path, message };
  if (ctx.file !== undefined) problem.file = ctx.file;
  if (line !== undefined) problem.line = line;
  list.push(problem);
}

/** Records a problem for `path` at `line`. */
export function report(ctx: WalkContext, path: string, message: string, line?: number): void {
  push(ctx.problems, ctx, path, message, line ?? nearestLine(ctx, path));
}

/** Records a warning for `path`. */
export function warn(ctx: WalkContext, path: string, message: string, line?: number): void {
  push(ctx.warnings, ctx, path, message, line ?? nearestLine(ctx, path));
}

/** The line of `path`, or of its closest visited ancestor. */
export function nearestLine(ctx: WalkContext, path: string): number | undefined {
  let p = path;
  for (;;) {
    const line = ctx.lines.get(p);
    if (line !== undefined) return line;
    if (p === '') return ctx.fallbackLine;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut <= 0 ? '' : p.slice(0, cut);
  }
}

function resolve(ctx: WalkContext, node: unknown): Node | undefined {
  let current = node;
  for (let depth = 0; isAlias(current) && depth < 32; depth++) {
    current = current.resolve(ctx.doc);
  }
  return (current ?? undefined) as Node | undefined;
}

function isNull(node: Node | undefined): boolean {
  return node === undefined || (isScalar(node) && node.value === null);
}

/** Describes a node for a message, never echoing secret values. */
export function describe(ctx: WalkContext, node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const kind =
      typeof node.value === 'number' ? 'number' : typeof node.value === 'boolean' ? 'boolean' : 'string';
    if (ctx.secret) return `a ${kind}`;
    const raw = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
    const text = redactText(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
    return `${kind} ${kind === 'string' ? JSON.stringify(text) : text}`;
  }
  return 'an unsupported value';
}

function key(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** The entries of a mapping, with `<<` merge keys expanded (explicit keys win). */
function entries(
  ctx: WalkContext,
  map: Node,
  path: string,
): { name: string; keyNode: Node; value: unknown }[] {
  const out: { name: string; keyNode: Node; value: unknown }[] = [];
  const merged: { name: string; keyNode: Node; value: unknown }[] = [];
  if (!isMap(map)) return out;
  for (const pair of map.items) {
    const k = pair.key as Node;
    if (isScalar(k) && (typeof k.value === 'symbol' || (k.source === '<<' && k.type === 'PLAIN'))) {
      const sources = resolve(ctx, pair.value);
      const maps = isSeq(sources) ? sources.items.map((i) => resolve(ctx, i)) : [sources];
      for (const m of maps) {
        if (!isMap(m)) {
          report(ctx, path, 'merge key "<<" must refer to a mapping', lineOf(ctx, k));
          continue;
        }
        for (const e of entries(ctx, m, path)) merged.push(e);
      }
      continue;
    }
    const name = isScalar(k) ? String(k.value) : '';
    if (
      !isScalar(k) ||
      (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean')
    ) {
      report(ctx, path, 'mapping keys must be plain strings', lineOf(ctx, k));
      continue;
    }
    out.push({ name, keyNode: k, value: pair.value });
  }
  const seen = new Set(out.map((e) => e.name));
  for (const e of merged) {
    if (!seen.has(e.name)) {
      seen.add(e.name);
      out.push(e);
    }
  }
  return out;
}

/**
 * Validates `raw` against `schema` and returns the plain value with defaults applied, or
 * `undefined` when the field is absent (or null, which Kubernetes treats as absent).
 */
export function walk(ctx: WalkContext, raw: unknown, schema: FieldSchema, path: string): unknown {
  const node = resolve(ctx, raw);
  if (isNull(node)) return defaultOf(schema);
  const line = lineOf(ctx, node);
  if (line !== undefined) ctx.lines.set(path, line);
  switch (schema.type) {
    case 'string':
      return walkString(ctx, node!, schema, path, line);
    case 'boolean':
      return walkBoolean(ctx, node!, path, line);
    case 'map':
      return walkMap(ctx, node!, schema, path, line);
    case 'array': {
      if (!isSeq(node)) {
        report(ctx, path, `must be a list, got ${describe(ctx, node!)}`, line);
        return undefined;
      }
      if (schema.maxItems !== undefined && node.items.length > schema.maxItems) {
        report(ctx, path, `must have at most ${schema.maxItems} items, has ${node.items.length}`, line);
      }
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const value = walk(ctx, item, schema.items, `${path}[${i}]`);
        if (value !== undefined) out.push(value);
        else if (isNull(resolve(ctx, item))) {
          report(ctx, `${path}[${i}]`, 'must not be null', lineOf(ctx, item as Node) ?? line);
        }
      });
      return out;
    }
    case 'object': {
      if (!isMap(node)) {
        report(ctx, path, `must be a mapping, got ${describe(ctx, node!)}`, line);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      const present = new Set<string>();
      for (const { name, keyNode, value } of entries(ctx, node, path)) {
        const childPath = key(path, name);
        const prop = schema.fields[name];
        if (!prop) {
          if (!schema.ignored?.includes(name)) report(ctx, childPath, 'unknown field', lineOf(ctx, keyNode));
          continue;
        }
        present.add(name);
        const keyLine = lineOf(ctx, keyNode);
        if (keyLine !== undefined) ctx.lines.set(childPath, keyLine);
        if (prop.deprecated) warn(ctx, childPath, prop.deprecated, keyLine);
        const result = walk(ctx, value, prop, childPath);
        if (result !== undefined) out[name] = result;
        else if (prop.required && isNull(resolve(ctx, value))) report(ctx, childPath, 'is required', keyLine);
      }
      for (const [name, prop] of Object.entries(schema.fields)) {
        if (present.has(name)) continue;
        if (prop.required) report(ctx, key(path, name), 'is required', line);
        else {
          const value = defaultOf(prop);
          if (value !== undefined) out[name] = value;
        }
      }
      return out;
    }
  }
}

function defaultOf(schema: FieldSchema): unknown {
  if (schema.type === 'map') return undefined;
  const value = schema.default;
  return value === undefined ? undefined : structuredClone(value);
}

function walkString(
  ctx: WalkContext,
  node: Node,
  schema: StringSchema,
  path: string,
  line: number | undefined,
) {
  if (!isScalar(node)) {
    report(ctx, path, `must be a string, got ${describe(ctx, node)}`, line);
    return undefined;
  }
  if (typeof node.value !== 'string') {
    const hint = node.source !== undefined ? ' (quote it)' : '';
    report(ctx, path, `must be a string, got ${describe(ctx, node)}${hint}`, line);
    return undefined;
  }
  const value = node.value;
  if (node.type === 'PLAIN' && node.source !== undefined) {
    const as11 = yaml11Type(node.source);
    if (as11 !== 'string') {
      report(
        ctx,
        path,
        `must be a string, but Kubernetes (YAML 1.1) reads ${ctx.secret ? 'this plain value' : JSON.stringify(node.source)} as a ${as11}; quote it`,
        line,
      );
      return undefined;
    }
  }
  checkString(ctx, value, schema, path, line);
  return value;
}

/** Pattern, enum and length checks of a string value. */
function checkString(
  ctx: WalkContext,
  value: string,
  schema: StringSchema,
  path: string,
  line: number | undefined,
) {
  // Only built for a message: redaction is not free, and most values are fine.
  const shown = () => (ctx.secret ? 'the value' : JSON.stringify(redactText(value)));
  if (schema.enum && !schema.enum.includes(value)) {
    report(
      ctx,
      path,
      `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${shown()}`,
      line,
    );
  }
  if (schema.pattern && !schema.pattern.test(value)) {
    const hint = schema.patternHint ? ` (${schema.patternHint})` : '';
    report(ctx, path, `must match ${schema.pattern.source}${hint}, got ${shown()}`, line);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    report(ctx, path, `must be at most ${schema.maxLength} characters, has ${value.length}`, line);
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    report(ctx, path, `must be at least ${schema.minLength} characters`, line);
  }
  if (schema.regex) {
    try {
      compileGoRegex(value, { scope: 'core:manifest' });
    } catch (error) {
      if (!(error instanceof RegexError)) throw error;
      report(ctx, path, `is not a valid Go regular expression: ${error.goMessage}`, line);
    }
  }
}

function walkBoolean(ctx: WalkContext, node: Node, path: string, line: number | undefined) {
  if (isScalar(node)) {
    if (typeof node.value === 'boolean') return node.value;
    // Kubernetes tooling reads YAML 1.1, where `yes`, `on`, `y`… are booleans: accept what it accepts.
    if (node.type === 'PLAIN' && typeof node.value === 'string') {
      if (YAML11_BOOL_TRUE.test(node.value)) return true;
      if (YAML11_BOOL_FALSE.test(node.value)) return false;
    }
  }
  report(ctx, path, `must be a boolean, got ${describe(ctx, node)}`, line);
  return undefined;
}

function walkMap(ctx: WalkContext, node: Node, schema: MapSchema, path: string, line: number | undefined) {
  if (!isMap(node)) {
    report(ctx, path, `must be a mapping of strings, got ${describe(ctx, node)}`, line);
    return undefined;
  }
  const inner: WalkContext = schema.secret ? { ...ctx, secret: true } : ctx;
  const out: Record<string, string> = {};
  for (const { name, keyNode, value } of entries(ctx, node, path)) {
    const childPath = key(path, name);
    const keyLine = lineOf(ctx, keyNode);
    if (keyLine !== undefined) ctx.lines.set(childPath, keyLine);
    const valueNode = resolve(ctx, value);
    if (isNull(valueNode)) {
      // The API server rejects a null value in a string map (`key:` with nothing after it).
      report(ctx, childPath, 'must be a string, got null', keyLine);
      continue;
    }
    const result = walkString(
      inner,
      valueNode!,
      { type: 'string' },
      childPath,
      lineOf(ctx, valueNode) ?? keyLine,
    );
    if (result !== undefined) out[name] = result;
  }
  return out;
}
