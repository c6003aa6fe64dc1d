/**
 * `rocket`: Rocket.Chat's Slack-compatible incoming webhook. Unlike slack, the username is not
 * defaulted to the reporting controller.
 *
 * @packageDocumentation
 */
import { defineNotifier, postJson, requireUrl } from '../provider.js';
import { slackPayload } from './slack.js';

/** The `rocket` provider. */
export const rocket = defineNotifier({
  id: 'rocket',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Rocket hook');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const body = slackPayload(event, {
        channel: options.channel,
        username: options.username,
        fallback: '',
        infoColor: '#0076D7',
        errorColor: '#FF0000',
      });
      return postJson(ctx, options.address, body, signal);
    },
  }),
});
