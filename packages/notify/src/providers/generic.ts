/**
 * `generic`: POSTs the event JSON (Go encoding) to the address, with `Gotk-Component` and the
 * Secret's `headers`. Receives every event, `commit_status=update` ones included.
 *
 * @packageDocumentation
 */
import { encodeEvent } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { ProviderConfig } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** Headers of a generic POST: `Content-Type`, `Gotk-Component`, then the Secret's headers. */
export function genericHeaders(config: ProviderConfig, event: FluxEvent): Record<string, string> {
  // Secret headers are applied last and may override both defaults, as in Flux.
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Gotk-Component': event.reportingController,
  };
  for (const [name, value] of Object.entries(config.headers)) {
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = value;
  }
  return headers;
}

/** The `generic` provider. */
export const generic = defineNotifier({
  id: 'generic',
  capabilities: { transport: 'http', gate: 'generic', proxy: true, tls: true, headers: true },
  parse: (config, problems) => {
    requireUrl(config, problems);
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      await ctx.request({
        url: options.address,
        headers: genericHeaders(options, event),
        body: encodeEvent(event),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
