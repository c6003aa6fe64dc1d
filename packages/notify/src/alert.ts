/**
 * Alert matching (notify.md §3.2), the event clean-up on arrival (§2.1), the provider-type gates
 * (§3.4) and the metadata merge (§3.5), as pure functions.
 *
 * @packageDocumentation
 */
import { compileGoRegex } from '@tidewatch/core';
import type { ConfigProblem, GoRegex } from '@tidewatch/core';
import type { NotifierGate } from './provider.js';
import type { AlertSpec, FluxEvent, ObjectReference } from './types.js';

/** The API group of Flux's event annotations (`event.toolkit.fluxcd.io`). */
export const EVENT_GROUP = 'event.toolkit.fluxcd.io';

/** Looks up the labels of an involved object; `undefined` when the object does not exist. */
export type LabelLookup = (ref: ObjectReference) => Readonly<Record<string, string>> | undefined;

/** Options of {@link matchAlert}. */
export interface MatchAlertOptions {
  /**
   * Labels of involved objects, for `eventSources[].matchLabels`. Without it, a source with
   * `matchLabels` never matches (Flux cannot fetch the object: no match).
   */
  readonly labels?: LabelLookup;
}

/**
 * The API group of an `apiVersion` as Kubernetes parses it: `group/version` → `group`; `v1` (or an
 * unparsable value) → `''`.
 */
export function apiGroup(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const parts = apiVersion.split('/');
  return parts.length === 2 ? parts[0]! : '';
}

function compileOrUndefined(pattern: string): GoRegex | undefined {
  try {
    return compileGoRegex(pattern, { scope: 'notify:alert' });
  } catch {
    return undefined;
  }
}

/**
 * Whether an event matches an Alert, exactly as Flux decides (§3.2): not suspended; at least one
 * event source matches (kind and namespace equal, the Alert's namespace when the source has none;
 * name equal or exactly `*`; `matchLabels` all present; severity equal to `eventSeverity` or
 * `eventSeverity` is `info`); then the message matches an `inclusionList` regex (when given) and
 * no `exclusionList` regex. Regexes are RE2, unanchored; an invalid one counts as no match.
 *
 * @example
 * ```ts
 * matchAlert(
 *   { providerRef: { name: 'slack' }, namespace: 'flux-system', eventSources: [{ kind: 'Kustomization', name: '*' }] },
 *   event,
 * ); // true for any Kustomization event in flux-system
 * ```
 */
export function matchAlert(alert: AlertSpec, event: FluxEvent, options: MatchAlertOptions = {}): boolean {
  if (alert.suspend === true) return false;
  const ref = event.involvedObject;
  const severity = alert.eventSeverity ?? 'info';
  const sourceMatches = alert.eventSources.some((source) => {
    const namespace = source.namespace || alert.namespace || '';
    if ((ref.namespace ?? '') !== namespace || ref.kind !== source.kind) return false;
    if (event.severity !== severity && severity !== 'info') return false;
    if (source.name !== '*' && source.name !== ref.name) return false;
    if (source.matchLabels && Object.keys(source.matchLabels).length > 0) {
      const labels = options.labels?.(ref);
      if (!labels) return false;
      for (const [k, v] of Object.entries(source.matchLabels)) if (labels[k] !== v) return false;
    }
    return true;
  });
  if (!sourceMatches) return false;
  const include = alert.inclusionList ?? [];
  if (include.length > 0) {
    const included = include.some((p) => compileOrUndefined(p)?.test(event.message) === true);
    if (!included) return false;
  }
  for (const p of alert.exclusionList ?? []) {
    if (compileOrUndefined(p)?.test(event.message) === true) return false;
  }
  return true;
}

/**
 * Checks an Alert once at the edge and returns every problem (empty when valid): required fields,
 * severities, and every inclusion/exclusion regex compiled as Go RE2.
 */
export function validateAlert(alert: unknown, path = ''): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (p: string): string => (path ? `${path}.${p}` : p);
  if (typeof alert !== 'object' || alert === null) return [{ path, message: 'alert must be an object' }];
  const a = alert as Record<string, unknown>;
  const ref = a.providerRef as { name?: unknown } | undefined;
  if (typeof ref !== 'object' || ref === null || typeof ref.name !== 'string' || ref.name === '') {
    problems.push({ path: at('providerRef.name'), message: 'is required' });
  }
  if (a.eventSeverity !== undefined && a.eventSeverity !== 'info' && a.eventSeverity !== 'error') {
    problems.push({ path: at('eventSeverity'), message: "must be 'info' or 'error'" });
  }
  if (!Array.isArray(a.eventSources) || a.eventSources.length === 0) {
    problems.push({ path: at('eventSources'), message: 'must list at least one source' });
  } else {
    a.eventSources.forEach((s: unknown, i) => {
      const src = s as Record<string, unknown> | null;
      if (typeof src?.kind !== 'string' || src.kind === '') {
        problems.push({ path: at(`eventSources[${i}].kind`), message: 'is required' });
      }
      if (typeof src?.name !== 'string' || src.name === '') {
        problems.push({ path: at(`eventSources[${i}].name`), message: 'is required' });
      }
    });
  }
  for (const list of ['inclusionList', 'exclusionList'] as const) {
    const v = a[list];
    if (v === undefined) continue;
    if (!Array.isArray(v)) {
      problems.push({ path: at(list), message: 'must be a list of regular expressions' });
      continue;
    }
    v.forEach((p: unknown, i) => {
      if (typeof p !== 'string') {
        problems.push({ path: at(`${list}[${i}]`), message: 'must be a string' });
        return;
      }
      try {
        compileGoRegex(p, { scope: 'notify:alert' });
      } catch (err) {
        const detail = err instanceof Error ? err.message.replace(/^\[[^\]]*\]\s*/, '') : 'invalid';
        problems.push({ path: at(`${list}[${i}]`), message: `invalid RE2 regex: ${detail}` });
      }
    });
  }
  if (typeof a.summary === 'string' && a.summary.length > 255) {
    problems.push({ path: at('summary'), message: 'must be at most 255 characters' });
  }
  return problems;
}

/**
 * The clean-up Flux's event server applies on arrival (§2.1): keep only metadata keys prefixed
 * with `event.toolkit.fluxcd.io/` or `<object group>/`, minus `<group>/checksum` and
 * `<group>/digest` (case-insensitive). The result always has a (possibly empty) metadata map.
 */
export function cleanEventMetadata(event: FluxEvent): FluxEvent {
  const groupPrefix = `${apiGroup(event.involvedObject.apiVersion)}/`;
  const excluded = [`${groupPrefix}checksum`.toLowerCase(), `${groupPrefix}digest`.toLowerCase()];
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.metadata ?? {})) {
    if (excluded.includes(k.toLowerCase())) continue;
    if (k.startsWith(`${EVENT_GROUP}/`) || k.startsWith(groupPrefix)) metadata[k] = v;
  }
  return { ...event, metadata };
}

/** Drops the internal `<group>/token` key (after dedupe, before dispatch). */
export function excludeInternalMetadata(event: FluxEvent): FluxEvent {
  const key = `${apiGroup(event.involvedObject.apiVersion)}/token`;
  if (!event.metadata || !Object.hasOwn(event.metadata, key)) return event;
  const metadata = { ...event.metadata };
  delete metadata[key];
  return { ...event, metadata };
}

/** Why a provider gate dropped an event, or `undefined` when it passes (§3.4). */
export function gateEvent(gate: NotifierGate, event: FluxEvent): string | undefined {
  const group = apiGroup(event.involvedObject.apiVersion);
  const meta = event.metadata ?? {};
  const statusUpdate = meta[`${group}/commit_status`] === 'update';
  if (statusUpdate && gate !== 'commit-status' && gate !== 'generic') {
    return 'commit status updates only go to git commit-status and generic providers';
  }
  if (
    gate === 'commit-status' &&
    !statusUpdate &&
    !meta[`${EVENT_GROUP}/commit`] &&
    event.severity !== 'error'
  ) {
    return 'dropped for commit status providers: no commit metadata, not a commit status update, not an error';
  }
  if (gate === 'change-request' && !meta[`${EVENT_GROUP}/change_request`]) {
    return 'dropped for change request providers: no change_request metadata';
  }
  return undefined;
}

/** Result of {@link mergeMetadata}. */
export interface MergedMetadata {
  /** The event the provider receives (un-prefixed metadata). */
  readonly event: FluxEvent;
  /** Keys set by more than one source (Flux's `MetadataAppendFailed` warning), sorted. */
  readonly conflicts: readonly { readonly key: string; readonly sources: readonly string[] }[];
}

/**
 * Merges metadata for one Alert in RFC 0008 order (§3.5), lowest first: object annotations
 * (`event.toolkit.fluxcd.io/` stripped), the Alert's `eventMetadata`, the Alert's `summary`, then
 * controller metadata (`<group>/` stripped). Higher wins; conflicts are reported.
 */
export function mergeMetadata(event: FluxEvent, alert: AlertSpec): MergedMetadata {
  const metadata: Record<string, string> = {};
  const sources = new Map<string, string[]>();
  const put = (k: string, v: string, source: string): void => {
    metadata[k] = v;
    const list = sources.get(k);
    if (list) list.push(source);
    else sources.set(k, [source]);
  };
  const raw = event.metadata ?? {};
  const eventPrefix = `${EVENT_GROUP}/`;
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith(eventPrefix)) put(k.slice(eventPrefix.length), v, 'involved object annotations');
  }
  for (const [k, v] of Object.entries(alert.eventMetadata ?? {}))
    put(k, v, 'Alert object .spec.eventMetadata');
  if (alert.summary) put('summary', alert.summary, 'Alert object .spec.summary');
  const groupPrefix = `${apiGroup(event.involvedObject.apiVersion)}/`;
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith(groupPrefix)) put(k.slice(groupPrefix.length), v, 'involved object controller metadata');
  }
  const conflicts = [...sources.entries()]
    .filter(([, s]) => s.length > 1)
    .map(([key, s]) => ({ key, sources: s }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    event: Object.keys(metadata).length > 0 ? { ...event, metadata } : event,
    conflicts,
  };
}
