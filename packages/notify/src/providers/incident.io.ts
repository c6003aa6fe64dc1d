/**
 * `incident.io`: an incident.io HTTP alert source event (`firing` for errors, `resolved`
 * otherwise). `Progressing` events are skipped.
 *
 * @packageDocumentation
 */
import { goJson, goMap, objectLabel } from '../event.js';
import { defineNotifier, requireUrl, requireValue } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The incident.io payload. */
export function incidentioPayload(event: FluxEvent): string {
  const metadata: Record<string, string> = {
    ...event.metadata,
    severity: event.severity,
    reason: event.reason,
  };
  if (event.reportingController !== '') metadata.reportingController = event.reportingController;
  return goJson({
    title: `${objectLabel(event.involvedObject)}: ${event.reason}`,
    status: event.severity === 'error' ? 'firing' : 'resolved',
    deduplication_key: event.involvedObject.uid ?? '',
    description: event.message || undefined,
    metadata: goMap(metadata),
  });
}

/** The `incident.io` provider. */
export const incidentio = defineNotifier({
  id: 'incident.io',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'incident.io alert source');
    requireValue(config.token, 'secret.token', 'empty incident.io API token', problems);
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      if (event.reason === 'Progressing') {
        return { skipped: true, reason: 'incident.io skips Progressing events' };
      }
      await ctx.request({
        url: options.address,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token ?? ''}` },
        body: incidentioPayload(event),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
