/**
 * The plug-in contract shared by every pluggable kind (registry engines, credential providers,
 * notification providers). A plug-in is one file exporting one definition object; a registry per
 * kind lists the definitions alphabetically.
 *
 * @packageDocumentation
 */
import type { Logger } from './logger.js';

/** The `fetch` function a plug-in uses. Injected, never global, so tests need no patching. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What every plug-in receives when it is created: its only view of the outside world. */
export interface PluginContext {
  /** HTTP transport. */
  readonly fetch: FetchLike;
  /** Where the plug-in logs (already redacting). */
  readonly logger: Logger;
  /** The clock. */
  readonly now: () => Date;
  /** Cancels everything the plug-in is doing. */
  readonly signal?: AbortSignal;
}

/**
 * A plug-in definition.
 *
 * @typeParam Options - the validated options `parseOptions` returns.
 * @typeParam Instance - what `create` returns.
 * @typeParam Capabilities - plain data describing what the plug-in can do.
 */
export interface PluginDefinition<Options, Instance, Capabilities extends object = Record<string, unknown>> {
  /** kebab-case id; equals the file name and the `type:` users write. */
  readonly id: string;
  /** What the plug-in can do, as plain data. */
  readonly capabilities: Capabilities;
  /** Option keys whose values are secrets and must be redacted everywhere. */
  readonly secretFields: readonly string[];
  /**
   * Checks raw options once, strictly, and returns them typed. Throws one `ConfigError` listing
   * every problem found.
   */
  parseOptions(input: unknown): Options;
  /** Creates a working instance from validated options. */
  create(options: Options, context: PluginContext): Instance;
}

/** Default plug-in context: global `fetch`, silent logger, system clock. */
export function defaultPluginContext(overrides: Partial<PluginContext> = {}): PluginContext {
  return {
    fetch: overrides.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    logger: overrides.logger ?? { debug() {}, info() {}, warn() {}, error() {} },
    now: overrides.now ?? (() => new Date()),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
  };
}
