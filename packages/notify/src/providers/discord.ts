/**
 * `discord`: Discord's Slack-compatible webhook (`/slack` appended to the path). The channel is
 * ignored and TLS settings are not used, as in Flux.
 *
 * @packageDocumentation
 */
import { defineNotifier, postJson, requireUrl } from '../provider.js';
import { slackPayload } from './slack.js';

/** Appends `slack` to the path (Go `path.Join`, which also cleans it) unless the URL ends in `/slack`. */
export function discordUrl(address: string): string {
  if (address.endsWith('/slack')) return address;
  const u = new URL(address);
  const joined = `${u.pathname}/slack`.replace(/\/{2,}/g, '/');
  // path.Join cleans `.` and `..` segments too.
  const parts: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '.' || seg === '') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  u.pathname = `/${parts.join('/')}`;
  return u.toString();
}

/** The `discord` provider. */
export const discord = defineNotifier({
  id: 'discord',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: false, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Discord hook');
    return {};
  },
  create: (options, ctx) => {
    const url = discordUrl(options.address);
    return {
      async post(event, { signal } = {}) {
        const body = slackPayload(event, {
          channel: '',
          username: options.username || event.reportingController,
          fallback: '',
          infoColor: 'good',
          errorColor: 'danger',
        });
        return postJson(ctx, url, body, signal);
      },
    };
  },
});
