/**
 * How a new value is written into an existing scalar (spec README rule 2): quoted scalars keep their
 * quote style; a plain scalar stays plain only when the value, written plain, reads back as exactly
 * that string under YAML 1.2 core *and* YAML 1.1, else it becomes double-quoted. No `!!tag` is added.
 */
import { Parser, parseDocument, isScalar } from 'yaml';

/** The three one-line scalar styles the rewriter writes. */
export type FlowScalarType = 'scalar' | 'single-quoted-scalar' | 'double-quoted-scalar';

const plainCache = new Map<string, boolean>();

/**
 * Whether `value` may be written as a plain scalar in a block value (`key: value`, `- value`) or,
 * with `inFlow`, inside a flow collection: it must lex as one plain scalar with exactly these bytes,
 * and resolve to this very string under the YAML 1.2 core schema and under YAML 1.1 (where `yes`,
 * `on`, `017`, `1_000` and timestamps are not strings).
 */
export function isPlainSafe(value: string, inFlow: boolean): boolean {
  const key = (inFlow ? 'f' : 'b') + value;
  const hit = plainCache.get(key);
  if (hit !== undefined) return hit;
  const ok = value !== '' && lexesAsPlain(value, inFlow) && readsAsString(value);
  if (plainCache.size > 10_000) plainCache.clear();
  plainCache.set(key, ok);
  return ok;
}

function lexesAsPlain(value: string, inFlow: boolean): boolean {
  if (/[\r\n\t]/.test(value)) return false;
  const tokens = [...new Parser().parse(inFlow ? `[${value}]` : value)];
  if (tokens.length !== 1) return false;
  const doc = tokens[0];
  if (doc?.type !== 'document' || doc.start.length > 0 || (doc.end?.length ?? 0) > 0) return false;
  const root = doc.value;
  if (!inFlow) return root?.type === 'scalar' && root.source === value && (root.end?.length ?? 0) === 0;
  if (root?.type !== 'flow-collection' || root.items.length !== 1 || root.end.length !== 1) return false;
  const item = root.items[0];
  return (
    item !== undefined &&
    item.start.length === 0 &&
    item.key === undefined &&
    item.sep === undefined &&
    item.value?.type === 'scalar' &&
    item.value.source === value &&
    (item.value.end?.length ?? 0) === 0
  );
}

function readsAsString(value: string): boolean {
  for (const version of ['1.2', '1.1'] as const) {
    const doc = parseDocument(value, { version, logLevel: 'silent' });
    if (doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.value !== value) return false;
  }
  return true;
}

/**
 * The new source of a one-line flow scalar holding `value`, in the style of the scalar it replaces.
 * Values never contain control characters (policies are validated), so JSON string syntax is a
 * valid YAML double-quoted scalar.
 */
export function renderFlowScalar(type: FlowScalarType, value: string, inFlow: boolean): string {
  if (type === 'single-quoted-scalar') return `'${value.replace(/'/g, "''")}'`;
  if (type === 'scalar' && isPlainSafe(value, inFlow)) return value;
  return JSON.stringify(value);
}
