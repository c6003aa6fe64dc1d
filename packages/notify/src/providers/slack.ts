/**
 * `slack`: an incoming webhook or `chat.postMessage` with one attachment per event. The payload
 * shape is shared by `discord` and `rocket`.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries } from '../event.js';
import { NotifyError } from '../errors.js';
import { defineNotifier, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** What differs between the Slack-shaped payloads of slack, discord and rocket. */
export interface SlackShapeOptions {
  /** `channel` value. */
  readonly channel: string;
  /** `username` value. */
  readonly username: string;
  /** `fallback` text of the attachment. */
  readonly fallback: string;
  /** Colour for info events. */
  readonly infoColor: string;
  /** Colour for error events. */
  readonly errorColor: string;
}

/**
 * The Slack payload (Go field order of Flux's `SlackPayload`; `text` omitted; metadata fields in
 * key order, where Flux's order is random).
 */
export function slackPayload(event: FluxEvent, o: SlackShapeOptions): string {
  const author = objectLabel(event.involvedObject);
  return goJson({
    channel: o.channel,
    username: o.username,
    icon_url: '',
    icon_emoji: '',
    attachments: [
      {
        fallback: o.fallback,
        color: event.severity === 'error' ? o.errorColor : o.infoColor,
        author_name: author,
        text: event.message,
        mrkdwn_in: ['text'],
        fields: sortedEntries(event.metadata).map(([title, value]) => ({ title, value, short: false })),
      },
    ],
  });
}

const CHAT_POST_MESSAGE = 'https://slack.com/api/chat.postMessage';

/** The `slack` provider. */
export const slack = defineNotifier({
  id: 'slack',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Slack hook');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const author = objectLabel(event.involvedObject);
      const body = slackPayload(event, {
        channel: options.channel,
        username: options.username || event.reportingController,
        fallback: `${author}: ${event.message.split('\n')[0] ?? ''}`,
        infoColor: 'good',
        errorColor: 'danger',
      });
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      const apiCall = options.address === CHAT_POST_MESSAGE;
      // chat.postMessage always answers 200; its body says whether it worked.
      const res = await ctx.request({
        url: options.address,
        headers,
        body,
        throwOnStatus: !apiCall,
        ...(signal ? { signal } : {}),
      });
      if (apiCall) {
        const parsed = res.json();
        if (typeof parsed !== 'object' || parsed === null) {
          throw new NotifyError('NOTIFY_DELIVERY', `[${ctx.scope}] unable to unmarshal response body`, {
            status: res.status,
          });
        }
        const { ok, error } = parsed as { ok?: unknown; error?: unknown };
        if (ok !== true) {
          throw new NotifyError(
            'NOTIFY_DELIVERY',
            ctx.secrets.redact(
              `[${ctx.scope}] Slack responded with error: ${typeof error === 'string' ? error : ''}`,
            ),
            { status: res.status },
          );
        }
      }
      return { skipped: false };
    },
  }),
});
