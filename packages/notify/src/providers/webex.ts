/**
 * `webex`: a Markdown message to a Webex room; `Authorization: Bearer <token>` is always sent.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Webex Markdown text. */
export function webexMarkdown(event: FluxEvent): string {
  const emoji = event.severity === 'error' ? '💣' : '✅';
  let out = `${emoji} **${objectLabel(event.involvedObject)}**\n${event.message}\n`;
  for (const [k, v] of sortedEntries(event.metadata)) out += `>**${k}**: ${v}\n`;
  return out;
}

/** The `webex` provider. */
export const webex = defineNotifier({
  id: 'webex',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Webex hook');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const markdown = webexMarkdown(event);
      await ctx.request({
        url: options.address,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token ?? ''}` },
        body: goJson({ roomId: options.channel || undefined, markdown: markdown || undefined }),
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
