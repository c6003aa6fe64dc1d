/**
 * `grafana`: a Grafana annotation (Graphite form). The event message is not sent; `when` is in
 * seconds. `Bearer <token>`, else Basic when username and password exist.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries, unixSeconds } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Grafana annotation payload (metadata tags in key order; Flux's order is random). */
export function grafanaPayload(event: FluxEvent): string {
  const ref = event.involvedObject;
  const tags = ['flux', event.reportingController];
  for (const [k, v] of sortedEntries(event.metadata)) {
    tags.push(`${k.replaceAll(':', '|')}: ${v.replaceAll(':', '|')}`);
  }
  tags.push(`kind: ${ref.kind}`, `name: ${ref.name}`, `namespace: ${ref.namespace ?? ''}`);
  return goJson({ when: unixSeconds(event.timestamp), text: objectLabel(ref), tags });
}

/** The `grafana` provider. */
export const grafana = defineNotifier({
  id: 'grafana',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Grafana');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      else if (options.username && options.password) {
        headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
      }
      await ctx.request({
        url: options.address,
        headers,
        body: grafanaPayload(event),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
