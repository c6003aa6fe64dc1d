/**
 * `@tidewatch/policy`: Flux ImagePolicy evaluation without a cluster. Picks exactly the tag Flux's
 * image-reflector-controller picks: Masterminds semver v3.5.0 ranges, alphabetical and numerical
 * ordering, and RE2 `filterTags` with Go template extraction, plus an explain trace.
 *
 * @packageDocumentation
 */

// Evaluation
export { selectTag, evaluatePolicy } from './evaluate.js';
export type {
  ImagePolicySpec,
  ImagePolicyChoice,
  SemVerPolicy,
  OrderPolicy,
  TagFilter,
  PolicyKind,
  PolicyEvaluation,
  TagVerdict,
  TagOutcome,
} from './evaluate.js';

// Semver (Masterminds v3.5.0)
export { parseVersion, parseConstraint, Version } from './semver.js';
export type { Constraint, ParseVersionOptions } from './semver.js';

// Numbers (Go strconv.ParseFloat)
export { parseGoFloat } from './numeric.js';

// Ordering (Go string order)
export { compareUtf8 } from './order.js';

// Errors
export { PolicyError } from './errors.js';
export type { PolicyErrorOptions, PolicyErrorReason } from './errors.js';
