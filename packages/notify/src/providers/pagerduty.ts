/**
 * `pagerduty`: Events API v2. Only scheme and host of the address are used; the channel is the
 * routing key. `Progressing` events are skipped. Every event is first sent to `/v2/enqueue`
 * (`resolve` for info, `trigger` for errors); info events then also go to `/v2/change/enqueue`.
 *
 * @packageDocumentation
 */
import { describeReason, goJson, goMap, normalizeTimestamp } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

function summaryOf(event: FluxEvent): string {
  const ref = event.involvedObject;
  return `${describeReason(event.reason)}: ${ref.kind.toLowerCase()}/${ref.name}`;
}

function details(event: FluxEvent): unknown {
  return goMap({ message: event.message, metadata: event.metadata ? goMap(event.metadata) : null });
}

function severityOf(severity: string): string {
  if (severity === 'info') return 'info';
  if (severity === 'trace') return 'info';
  return 'error';
}

/** The `/v2/enqueue` event (go-pagerduty `V2Event` field order). */
export function pagerdutyEvent(event: FluxEvent, routingKey: string): string {
  const error = event.severity === 'error';
  return goJson({
    routing_key: routingKey,
    event_action: error ? 'trigger' : 'resolve',
    dedup_key: event.involvedObject.uid || undefined,
    payload: error
      ? {
          summary: summaryOf(event),
          source: `Flux ${event.reportingController}`,
          severity: severityOf(event.severity),
          timestamp: normalizeTimestamp(event.timestamp) ?? '0001-01-01T00:00:00Z',
          component: event.involvedObject.name || undefined,
          group: event.involvedObject.kind || undefined,
          custom_details: details(event),
        }
      : undefined,
  });
}

/** The `/v2/change/enqueue` change event (go-pagerduty `ChangeEvent` field order). */
export function pagerdutyChangeEvent(event: FluxEvent, routingKey: string): string {
  return goJson({
    routing_key: routingKey,
    payload: {
      source: `Flux ${event.reportingController}`,
      summary: summaryOf(event),
      timestamp: normalizeTimestamp(event.timestamp) ?? '0001-01-01T00:00:00Z',
      custom_details: details(event),
    },
    links: null,
  });
}

/** The `pagerduty` provider. */
export const pagerduty = defineNotifier({
  id: 'pagerduty',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'PagerDuty endpoint');
    return {};
  },
  create: (options, ctx) => {
    let base = '';
    try {
      const u = new URL(options.address);
      base = `${u.protocol}//${u.host}`;
    } catch {
      /* validated in parse */
    }
    return {
      async post(event, { signal } = {}) {
        if (event.reason === 'Progressing')
          return { skipped: true, reason: 'PagerDuty skips Progressing events' };
        const headers = { 'Content-Type': 'application/json' };
        await ctx.request({
          url: `${base}/v2/enqueue`,
          headers,
          body: pagerdutyEvent(event, options.channel),
          ...(signal ? { signal } : {}),
        });
        if (event.severity === 'info') {
          await ctx.request({
            url: `${base}/v2/change/enqueue`,
            headers,
            body: pagerdutyChangeEvent(event, options.channel),
            ...(signal ? { signal } : {}),
          });
        }
        return { skipped: false };
      },
    };
  },
});
