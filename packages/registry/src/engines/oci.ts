/**
 * `oci`: container image repositories on any OCI Distribution registry (Docker Hub, GHCR, ECR,
 * GCR/Artifact Registry, ACR, Quay, Harbor, GitLab, distribution), as Flux's ImageRepository.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { scanImageTags } from '../scan.js';
import type { ScanImageTagsOptions } from '../scan.js';
import type { SourceEngineDefinition } from '../engine.js';

const SCOPE = 'registry:oci';

/** Options of the `oci` engine: the settings of `scanImageTags` except the image. */
export type OciEngineOptions = Omit<ScanImageTagsOptions, 'image' | 'previous' | 'signal'>;

const ALLOWED = [
  'auth',
  'tls',
  'insecure',
  'timeoutMs',
  'retries',
  'backoff',
  'maxRetryAfterMs',
  'concurrencyPerRegistry',
  'proxy',
  'logger',
  'fetch',
  'exclusionList',
  'pageSize',
  'maxPages',
  'revisionFormat',
];

/** The `oci` source engine. */
export const oci: SourceEngineDefinition<OciEngineOptions> = {
  id: 'oci',
  capabilities: { kind: 'image', digests: true, references: ['oci-reference'] },
  secretFields: ['auth'],
  parseOptions(input) {
    if (input === undefined || input === null) return {};
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new ConfigError(SCOPE, [{ path: '', message: 'options must be an object' }]);
    }
    const problems: ConfigProblem[] = Object.keys(input)
      .filter((k) => !ALLOWED.includes(k))
      .map((k) => ({ path: k, message: 'unknown option' }));
    if (problems.length > 0) throw new ConfigError(SCOPE, problems);
    return input;
  },
  create(options, context) {
    return {
      async list(request) {
        const signal = request.signal ?? context.signal;
        const scan = await scanImageTags({
          logger: context.logger,
          ...options,
          image: request.source,
          ...(request.previousRevision === undefined
            ? {}
            : { previous: { revision: request.previousRevision } }),
          ...(signal ? { signal } : {}),
        });
        return {
          canonicalName: scan.canonicalImage,
          versions: scan.tags,
          revision: scan.revision,
          changed: scan.changed,
          truncated: scan.truncated,
          ...(scan.rateLimit ? { rateLimit: scan.rateLimit } : {}),
          condition: scan.condition,
          events: scan.events,
        };
      },
    };
  },
};
