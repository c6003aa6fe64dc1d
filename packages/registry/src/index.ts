/**
 * `@tidewatch/registry`: work in progress.
 *
 * @packageDocumentation
 */
export {};
