/**
 * `@tidewatch/setters`: work in progress.
 *
 * @packageDocumentation
 */
export {};
