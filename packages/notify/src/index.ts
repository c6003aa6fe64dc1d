/**
 * `@tidewatch/notify`: work in progress.
 *
 * @packageDocumentation
 */
export {};
