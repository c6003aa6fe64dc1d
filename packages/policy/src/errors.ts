import { TidewatchError } from '@tidewatch/core';

/**
 * Flux's `Ready` condition reason for a policy error: `InvalidPolicy` (the spec can never work;
 * Flux also marks the object `Stalled`) or `Failure` (this evaluation failed; Flux retries).
 */
export type PolicyErrorReason = 'InvalidPolicy' | 'Failure';

/** What the {@link PolicyError} constructor needs. */
export interface PolicyErrorOptions {
  /** `POLICY_INVALID` for an invalid spec, `POLICY_EVALUATION` for a failed evaluation. */
  readonly code: 'POLICY_INVALID' | 'POLICY_EVALUATION';
  /** `policy:<engine>` that failed, e.g. `policy:semver`. */
  readonly scope: string;
  /** The text Flux puts in the `Ready` condition message, e.g. `invalid policy: improper constraint: "foo"`. */
  readonly fluxMessage: string;
  /** Every problem found, when there were several (the first is the one Flux would report). */
  readonly problems?: readonly string[];
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * An ImagePolicy cannot be evaluated.
 *
 * - `POLICY_INVALID` (reason `InvalidPolicy`): the spec is invalid (bad semver range, bad order,
 *   bad `filterTags.pattern`, no policy chosen). Thrown before any tag is looked at.
 * - `POLICY_EVALUATION` (reason `Failure`): the numerical policy met a tag that is not a number.
 *
 * The message is `[policy:<engine>] <Flux's text>`; {@link PolicyError.fluxMessage} is Flux's text
 * alone, exactly as Flux writes it into the `Ready` condition.
 *
 * @example
 * ```ts
 * try { selectTag(tags, spec); } catch (err) {
 *   if (err instanceof PolicyError && err.reason === 'InvalidPolicy') stall(err.fluxMessage);
 * }
 * ```
 */
export class PolicyError extends TidewatchError {
  /** Flux's text, e.g. `failed to parse invalid numeric value 'latest'`. */
  readonly fluxMessage: string;
  /** Flux's `Ready` reason. */
  readonly reason: PolicyErrorReason;
  /** Every problem found (at least the one in the message). */
  readonly problems: readonly string[];

  constructor(options: PolicyErrorOptions) {
    super(options.code, `[${options.scope}] ${options.fluxMessage}`, { cause: options.cause });
    this.fluxMessage = options.fluxMessage;
    this.reason = options.code === 'POLICY_INVALID' ? 'InvalidPolicy' : 'Failure';
    this.problems = options.problems ?? [options.fluxMessage];
  }
}
