/**
 * `@tidewatch/policy`: work in progress.
 *
 * @packageDocumentation
 */
export {};
