/**
 * One pass of the update loop over the public API: scan an ImageRepository, evaluate an
 * ImagePolicy, rewrite the fields marked for it, and notify a webhook with the event Flux's
 * image-reflector-controller would emit. (Git clone/commit/push comes with @tidewatch/automation.)
 */
import type { Event } from '@tidewatch/core';
import { createNotifier } from '@tidewatch/notify';
import { evaluatePolicy, type ImagePolicySpec } from '@tidewatch/policy';
import { scanImageTags } from '@tidewatch/registry';
import { updateFiles, type SetterChange } from '@tidewatch/setters';

/** What {@link runUpdateLoop} needs. */
export interface UpdateLoopOptions {
  /** The ImageRepository `spec.image`, e.g. `ghcr.io/org/app`. */
  readonly image: string;
  /** `namespace:name` of the ImagePolicy that markers refer to. */
  readonly policyName: string;
  /** The ImagePolicy spec. */
  readonly policy: ImagePolicySpec;
  /** The directory whose marked YAML files are updated. */
  readonly root: string;
  /** A generic webhook that receives the Flux event (optional). */
  readonly webhook?: string;
  /** Compute the changes and a diff without writing. @default false */
  readonly dryRun?: boolean;
  /** The tag currently deployed, for the "previously" part of the message. */
  readonly previousTag?: string;
}

/** What one pass did. */
export interface UpdateLoopResult {
  readonly tags: number;
  readonly latest: string | undefined;
  readonly why: string | undefined;
  readonly changes: readonly SetterChange[];
  readonly diff: string | undefined;
  readonly event: Event | undefined;
}

export async function runUpdateLoop(options: UpdateLoopOptions): Promise<UpdateLoopResult> {
  const scan = await scanImageTags({ image: options.image });
  const decision = evaluatePolicy(scan.tags, options.policy);
  if (decision.tag === undefined) {
    return {
      tags: scan.tagCount,
      latest: undefined,
      why: decision.noResult,
      changes: [],
      diff: undefined,
      event: undefined,
    };
  }
  const result = await updateFiles({
    root: options.root,
    policies: { [options.policyName]: { image: options.image, tag: decision.tag } },
    dryRun: options.dryRun ?? false,
  });
  const [namespace, name] = options.policyName.split(':') as [string, string];
  const previously =
    options.previousTag && options.previousTag !== decision.tag
      ? ` (previously ${options.image}:${options.previousTag})`
      : '';
  // The Normal event Flux's ImagePolicy reconciler emits when the latest image changes (policy.md §8).
  const event: Event = {
    involvedObject: { kind: 'ImagePolicy', namespace, name, apiVersion: 'image.toolkit.fluxcd.io/v1' },
    severity: 'info',
    timestamp: new Date(),
    message: `Latest image tag for ${options.image} resolved to ${decision.tag}${previously}`,
    reason: 'Succeeded',
    reportingController: 'image-reflector-controller',
  };
  if (options.webhook && !options.dryRun && result.changes.length > 0) {
    const notifier = createNotifier({ type: 'generic', address: options.webhook });
    try {
      await notifier.send(event);
    } finally {
      await notifier.close();
    }
  }
  return {
    tags: scan.tagCount,
    latest: decision.tag,
    why: undefined,
    changes: result.changes,
    diff: result.diff,
    event,
  };
}
