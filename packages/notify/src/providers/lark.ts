/**
 * `lark`: an interactive Lark (Feishu) card. No proxy, no TLS settings, as in Flux.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, postJson, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Lark card payload. */
export function larkPayload(event: FluxEvent): string {
  const error = event.severity === 'error';
  let content = `**${event.message}**\n\n`;
  for (const [k, v] of sortedEntries(event.metadata)) content += `${k}: ${v}\n`;
  return goJson({
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: {
        title: { tag: 'plain_text', content: `${error ? '🚨' : '💫'} ${objectLabel(event.involvedObject)}` },
        template: error ? 'red' : 'turquoise',
      },
      elements: [{ tag: 'div', text: { tag: 'lark_md', content } }],
    },
  });
}

/** The `lark` provider. */
export const lark = defineNotifier({
  id: 'lark',
  capabilities: { transport: 'http', gate: 'default', proxy: false, tls: false, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Lark hook');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      return postJson(ctx, options.address, larkPayload(event), signal);
    },
  }),
});
