/**
 * `alertmanager`: one firing alert (an array of one) for Alertmanager's `/api/v2/alerts`.
 * `Bearer <token>` when a token exists; Basic when username and password exist (then only Basic).
 *
 * @packageDocumentation
 */
import { goJson, goMap, normalizeTimestamp, titleCase } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Alertmanager payload. */
export function alertmanagerPayload(event: FluxEvent): string {
  const ref = event.involvedObject;
  const meta: Record<string, string> = { ...event.metadata };
  const annotations: Record<string, string> = { message: event.message };
  if (Object.hasOwn(meta, 'summary')) {
    annotations.summary = meta.summary!;
    delete meta.summary;
  }
  const labels: Record<string, string> = {
    ...meta,
    alertname: `Flux${ref.kind}${titleCase(event.reason)}`,
    severity: event.severity,
    reason: event.reason,
    kind: ref.kind,
    name: ref.name,
    namespace: ref.namespace ?? '',
    reportingcontroller: event.reportingController,
  };
  return goJson([
    {
      status: 'firing',
      labels: goMap(labels),
      annotations: goMap(annotations),
      startsAt: normalizeTimestamp(event.timestamp) ?? '0001-01-01T00:00:00Z',
      // Go's zero time: Alertmanager reads it as unset.
      endsAt: '0001-01-01T00:00:00Z',
    },
  ]);
}

/** The `alertmanager` provider. */
export const alertmanager = defineNotifier({
  id: 'alertmanager',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Alertmanager');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      if (options.username && options.password) {
        headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
      }
      await ctx.request({
        url: options.address,
        headers,
        body: alertmanagerPayload(event),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
