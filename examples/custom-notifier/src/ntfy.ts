/**
 * `ntfy`: a third-party notification provider for an ntfy server (https://ntfy.sh style: POST the
 * message as plain text to `<address>`, with the title, priority and tags in headers).
 *
 * It is built with exactly the types tidewatch's own providers use (`defineNotifier`), so it gets
 * the same option validation, Secret handling, redaction, retries and timeout.
 */
import { defineNotifier, requireUrl } from '@tidewatch/notify';
import type { FluxEvent } from '@tidewatch/notify';

/** ntfy priorities: errors are urgent, everything else default. */
function priorityOf(event: FluxEvent): string {
  return event.severity === 'error' ? 'urgent' : 'default';
}

/** The `ntfy` provider definition. Pass it in `definitions` to `createNotifier`/`createDispatcher`. */
export const ntfy = defineNotifier({
  id: 'ntfy',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: true },
  parse: (config, problems) => {
    requireUrl(config, problems);
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const { kind, namespace, name } = event.involvedObject;
      await ctx.request({
        url: options.address,
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          Title: `${kind}/${namespace}/${name}: ${event.reason}`,
          Priority: priorityOf(event),
          Tags: event.severity === 'error' ? 'rotating_light' : 'ocean',
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: event.message,
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
