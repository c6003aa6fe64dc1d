/**
 * `zulip`: a stream message through `/api/v1/messages` (the address path is replaced), as a
 * form (`application/x-www-form-urlencoded`, keys sorted, Go's query escaping), with Basic auth.
 *
 * @packageDocumentation
 */
import { markdownPost } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';

/** Go's `url.QueryEscape`: only `A-Z a-z 0-9 - _ . ~` stay, space becomes `+`. */
export function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's `url.Values.Encode` for single values: keys sorted, `k=v` joined by `&`. */
export function goFormEncode(values: Readonly<Record<string, string>>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${goQueryEscape(k)}=${goQueryEscape(values[k]!)}`)
    .join('&');
}

/** The `zulip` provider. */
export const zulip = defineNotifier({
  id: 'zulip',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Zulip endpoint');
    const slash = config.channel.indexOf('/');
    const stream = slash === -1 ? '' : config.channel.slice(0, slash);
    const topic = slash === -1 ? '' : config.channel.slice(slash + 1);
    if (stream === '' || topic === '') {
      problems.push({
        path: 'channel',
        message: `invalid Zulip channel format, expected <channel>/<topic>, got '${config.channel}'`,
      });
    }
    return { stream, topic };
  },
  create: (options, ctx) => {
    let url = '';
    try {
      const u = new URL(options.address);
      u.pathname = '/api/v1/messages';
      url = u.toString();
    } catch {
      /* validated in parse */
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (options.username || options.password) {
      headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    }
    return {
      async post(event, { signal } = {}) {
        const body = goFormEncode({
          type: 'stream',
          to: options.stream,
          topic: options.topic,
          content: markdownPost(event),
        });
        await ctx.request({ url, headers, body, ...(signal ? { signal } : {}) });
        return { skipped: false };
      },
    };
  },
});
