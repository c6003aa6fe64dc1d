/**
 * `datadog`: a Datadog v1 event at `<scheme>://<host>/api/v1/events` (the address path is
 * ignored) with `DD-API-KEY`. Tags are lower-cased, the title is not. Flux posts through
 * Datadog's API client, which does not retry: neither does this provider.
 *
 * @packageDocumentation
 */
import { goJson, sortedEntries, unixSeconds } from '../event.js';
import { defineNotifier, requireUrl, requireValue } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Datadog event (the client serialises a map: keys sorted). */
export function datadogPayload(event: FluxEvent): string {
  const ref = event.involvedObject;
  const tags = [
    `flux_reporting_controller:${event.reportingController}`,
    `flux_reason:${event.reason}`,
    `kube_kind:${ref.kind}`,
    `kube_name:${ref.name}`,
    `kube_namespace:${ref.namespace ?? ''}`,
    ...sortedEntries(event.metadata).map(([k, v]) => `${k}:${v}`),
  ].map((t) => t.toLowerCase());
  return goJson({
    alert_type: event.severity === 'error' ? 'error' : 'info',
    date_happened: unixSeconds(event.timestamp),
    source_type_name: 'fluxcd',
    tags,
    text: event.message,
    title: `Events from the ${ref.kind} ${ref.name}/${ref.namespace ?? ''}`,
  });
}

/** The `datadog` provider. */
export const datadog = defineNotifier({
  id: 'datadog',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireValue(config.token, 'secret.token', 'token cannot be empty', problems);
    requireUrl(config, problems, 'Datadog');
    return {};
  },
  create: (options, ctx) => {
    let url = '';
    try {
      const u = new URL(options.address);
      url = `${u.protocol}//${u.host}/api/v1/events`;
    } catch {
      /* validated in parse */
    }
    return {
      async post(event, { signal } = {}) {
        await ctx.request({
          url,
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'DD-API-KEY': options.token ?? '',
          },
          body: datadogPayload(event),
          retries: 0,
          ...(signal ? { signal } : {}),
        });
        return { skipped: false };
      },
    };
  },
});
