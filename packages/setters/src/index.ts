/**
 * `@tidewatch/setters`: Flux's `$imagepolicy` setter markers applied to YAML, changing only the
 * bytes of the values that change.
 *
 * @packageDocumentation
 */
export { applySetters } from './apply.js';
export { updateFiles } from './files.js';
export type {
  ApplySettersOptions,
  ApplySettersResult,
  ObjectRef,
  Policies,
  PolicyImage,
  PolicyResolver,
  SetterChange,
  SetterWarning,
  SetterWarningCode,
  UpdateFilesOptions,
  UpdateFilesResult,
} from './types.js';
