/**
 * `@tidewatch/setters`: Flux's `$imagepolicy` setter markers applied to YAML, changing only the
 * bytes of the values that change.
 *
 * @packageDocumentation
 */
export { applySetters, MARKER_TOKEN } from './apply.js';
export { updateFiles, MAX_FILE_BYTES } from './files.js';
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
