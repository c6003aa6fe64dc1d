/**
 * The source engine plug-in shape: an engine lists the versions (tags, chart versions, git
 * revisions, object sets) of one kind of upstream. `oci` is the first; `helm-https`, `helm-oci`,
 * `git` and `bucket` follow the same contract.
 *
 * @packageDocumentation
 */
import type { PluginDefinition } from '@tidewatch/core';
import type { RateLimitInfo } from './errors.js';
import type { FluxCondition, FluxEvent } from './types.js';

/** What a source engine can do, as plain data. */
export interface SourceEngineCapabilities {
  /** The kind of upstream. */
  readonly kind: 'image' | 'chart' | 'git' | 'bucket';
  /** Whether the engine can resolve a version to a content digest. */
  readonly digests: boolean;
  /** URL schemes or reference forms it accepts, e.g. `['oci-reference']`, `['https']`, `['oci']`. */
  readonly references: readonly string[];
}

/** A listing request. */
export interface SourceListRequest {
  /** What to list: an image repository, a chart repository URL, a git URL, a bucket. */
  readonly source: string;
  /** The previous listing's revision, for `changed`. */
  readonly previousRevision?: string;
  /** Cancels the listing. */
  readonly signal?: AbortSignal;
}

/** What an engine found upstream. */
export interface SourceListing {
  /** The canonical name of the source (e.g. `index.docker.io/library/nginx`). */
  readonly canonicalName: string;
  /** The versions found, in the engine's documented order (OCI: descending bytes). */
  readonly versions: readonly string[];
  /** Flux-compatible revision of the listing. */
  readonly revision: string;
  /** Whether the revision differs from `previousRevision`. */
  readonly changed: boolean;
  /** Whether the listing stopped early (a page budget ran out). */
  readonly truncated: boolean;
  /** Rate-limit figures the upstream sent. */
  readonly rateLimit?: RateLimitInfo;
  /** Flux's Ready condition for the listing. */
  readonly condition: FluxCondition;
  /** Flux-compatible events. */
  readonly events: readonly FluxEvent[];
}

/** A working source engine. */
export interface SourceEngine {
  /** Lists the versions of a source. */
  list(request: SourceListRequest): Promise<SourceListing>;
}

/** A source engine plug-in: one file under `src/engines/`, listed in `sourceEngines`. */
export type SourceEngineDefinition<Options = unknown> = PluginDefinition<
  Options,
  SourceEngine,
  SourceEngineCapabilities
>;
