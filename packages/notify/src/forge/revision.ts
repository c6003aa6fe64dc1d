/**
 * Revision → commit SHA, and the status description, exactly as Flux's git providers compute them
 * (`spec/notify.md` §1.3 and §5.1).
 *
 * @packageDocumentation
 */
import { describeReason } from '../event.js';
import type { FluxEvent } from '../types.js';

/**
 * Picks the revision a git provider reports on: metadata `commit`, else `originRevision`, else
 * `revision` (Flux's `Event.GetRevision`). `undefined` when none is present.
 */
export function eventRevision(event: FluxEvent): string | undefined {
  const md = event.metadata ?? {};
  for (const key of ['commit', 'originRevision', 'revision'] as const) {
    const value = md[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Extracts the commit hash from a Flux revision string, as fluxcd/pkg `ExtractHashFromRevision`:
 * the part after the last `:`, else after the last `/` (legacy `<branch>/<sha>`), else the whole
 * string. Like Flux, only a 40-byte hash (SHA-1) is accepted and it is returned unchanged.
 * Returns `undefined` for anything else (short SHAs, `sha256:` OCI digests, chart versions).
 *
 * @example
 * ```ts
 * commitFromRevision('main@sha1:0123456789abcdef0123456789abcdef01234567'); // '0123…4567'
 * ```
 */
export function commitFromRevision(revision: string): string | undefined {
  const colon = revision.lastIndexOf(':');
  const hash = colon >= 0 ? revision.slice(colon + 1) : revision.slice(revision.lastIndexOf('/') + 1);
  return Buffer.byteLength(hash, 'utf8') === 40 ? hash : undefined;
}

/**
 * The commit-status description: the reason split at CamelCase boundaries, lower-cased and
 * space-joined (`ReconciliationSucceeded` → `reconciliation succeeded`).
 */
export function statusDescription(reason: string): string {
  return describeReason(reason);
}

/** The status display name `<kind>/<name>`, lower-cased (Bitbucket's `name`). */
export function statusName(event: FluxEvent): string {
  return `${event.involvedObject.kind}/${event.involvedObject.name}`.toLowerCase();
}
