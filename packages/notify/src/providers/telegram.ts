/**
 * `telegram`: `sendMessage` of the Bot API with MarkdownV2. The address is ignored: the URL is
 * always `https://api.telegram.org/bot<token>/sendMessage`. Proxy yes, TLS no.
 *
 * @packageDocumentation
 */
import { goJson, sortedEntries } from '../event.js';
import { defineNotifier, postJson, requireValue } from '../provider.js';
import type { FluxEvent } from '../types.js';

/**
 * Escapes Telegram MarkdownV2 specials (backslash, `.`, `-`, `_`, `[`, `]`, `(`, `)`, `~`, `>`,
 * backtick, `#`, `+`, `=`, `|`, `{`, `}`, `!`, `*`) with a backslash, each occurrence once.
 */
export function escapeMarkdownV2(text: string): string {
  return text.replace(/[\\.\-_[\]()~>`#+=|{}!*]/g, '\\$&');
}

/** The MarkdownV2 message text. */
export function telegramText(event: FluxEvent): string {
  const ref = event.involvedObject;
  const emoji = event.severity === 'error' ? '🚨' : '💫';
  const heading = `${emoji} ${ref.kind.toLowerCase()}/${ref.name}/${ref.namespace ?? ''}`;
  let metadata = '';
  for (const [k, v] of sortedEntries(event.metadata)) {
    metadata += `\\- *${escapeMarkdownV2(k)}*: ${escapeMarkdownV2(v)}\n`;
  }
  return `*${escapeMarkdownV2(heading)}*\n${escapeMarkdownV2(event.message)}\n${metadata}`;
}

/** The `telegram` provider. */
export const telegram = defineNotifier({
  id: 'telegram',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: false, headers: false },
  parse: (config, problems) => {
    requireValue(config.channel, 'channel', 'empty Telegram channel', problems);
    requireValue(config.token, 'secret.token', 'empty Telegram token', problems);
    return {};
  },
  create: (options, ctx) => {
    const url = `https://api.telegram.org/bot${options.token ?? ''}/sendMessage`;
    const cut = options.channel.indexOf(':');
    const chatId = cut === -1 ? options.channel : options.channel.slice(0, cut);
    const thread = cut === -1 ? undefined : options.channel.slice(cut + 1);
    return {
      async post(event, { signal } = {}) {
        const body = goJson({
          chat_id: chatId,
          message_thread_id: thread || undefined,
          text: telegramText(event),
          parse_mode: 'MarkdownV2',
        });
        return postJson(ctx, url, body, signal);
      },
    };
  },
});
