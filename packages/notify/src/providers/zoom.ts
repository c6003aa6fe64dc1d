/**
 * `zoom`: a Zoom Team Chat incoming-webhook message (`format=full` added unless the URL has a
 * `format`), with the verification token as a raw `Authorization` value.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, requireUrl, requireValue } from '../provider.js';
import type { FluxEvent } from '../types.js';
import { goFormEncode } from './zulip.js';

/** The address with `format=full` added (Go re-encodes the whole query, keys sorted). */
export function zoomUrl(address: string): string {
  const u = new URL(address);
  if (u.searchParams.get('format')) return address;
  const values: Record<string, string[]> = {};
  for (const [k, v] of u.searchParams) (values[k] ??= []).push(v);
  values.format = ['full'];
  const query = Object.keys(values)
    .sort()
    .flatMap((k) => values[k]!.map((v) => goFormEncode({ [k]: v })))
    .join('&');
  u.search = '';
  return `${u.toString().replace(/#.*$/, '')}?${query}${u.hash}`;
}

/** The Zoom message payload. */
export function zoomPayload(event: FluxEvent): string {
  const meta = sortedEntries(event.metadata);
  const body: unknown[] = [{ type: 'message', text: event.message || undefined }];
  if (meta.length > 0) {
    body.push({ type: 'fields', items: meta.map(([key, value]) => ({ key, value })) });
  }
  return goJson({
    content: {
      head: { text: objectLabel(event.involvedObject), sub_head: { text: event.severity } },
      body,
    },
  });
}

/** The `zoom` provider. */
export const zoom = defineNotifier({
  id: 'zoom',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Zoom incoming webhook');
    requireValue(config.token, 'secret.token', 'empty Zoom verification token', problems);
    return {};
  },
  create: (options, ctx) => {
    const url = zoomUrl(options.address);
    return {
      async post(event, { signal } = {}) {
        await ctx.request({
          url,
          headers: { 'Content-Type': 'application/json', Authorization: options.token ?? '' },
          body: zoomPayload(event),
          ...(signal ? { signal } : {}),
        });
        return { skipped: false };
      },
    };
  },
});
