/**
 * `matrix`: **PUT** of an `m.room.message` whose transaction id is the SHA-1 of the event JSON,
 * so that a re-sent identical event is idempotent on the homeserver. TLS yes, proxy no.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { encodeEvent, goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The message body text. */
export function matrixBody(event: FluxEvent): string {
  const emoji = event.severity === 'error' ? '🚨' : '💫';
  let metadata = '';
  for (const [k, v] of sortedEntries(event.metadata)) metadata += `- ${k}: ${v}\n`;
  return `${emoji} ${objectLabel(event.involvedObject)}\n${event.message}\n${metadata}`;
}

/** Lowercase hex SHA-1 of the Go-encoded event: the Matrix transaction id. */
export function matrixTxnId(event: FluxEvent): string {
  return createHash('sha1').update(encodeEvent(event), 'utf8').digest('hex');
}

/** The `matrix` provider. */
export const matrix = defineNotifier({
  id: 'matrix',
  capabilities: { transport: 'http', gate: 'default', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Matrix homeserver');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      // The room id is inserted as is (not URL-encoded), as Flux does.
      const url = `${options.address}/_matrix/client/r0/rooms/${options.channel}/send/m.room.message/${matrixTxnId(event)}`;
      await ctx.request({
        url,
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token ?? ''}` },
        body: goJson({ body: matrixBody(event), msgtype: 'm.text' }),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
