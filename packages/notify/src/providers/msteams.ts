/**
 * `msteams`: a legacy Office 365 connector **MessageCard** when the host ends in
 * `.webhook.office.com`, otherwise an **Adaptive Card 1.4** for Power Automate workflow URLs.
 *
 * @packageDocumentation
 */
import { compareBytes, goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, postJson, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** Which payload format an address gets: `message-card` for legacy connectors. */
export function teamsSchema(address: string): 'message-card' | 'adaptive-card' {
  const host = new URL(address).hostname;
  return host.endsWith('.webhook.office.com') ? 'message-card' : 'adaptive-card';
}

/** The legacy MessageCard (facts in key order; Flux's order is random). */
export function messageCardPayload(event: FluxEvent): string {
  const obj = objectLabel(event.involvedObject);
  return goJson({
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: event.severity === 'error' ? 'FF0000' : '0076D7',
    summary: obj,
    sections: [
      {
        activityTitle: event.message,
        activitySubtitle: obj,
        facts: sortedEntries(event.metadata).map(([name, value]) => ({ name, value })),
      },
    ],
  });
}

/** The Adaptive Card: `summary` first, the other facts sorted by key, `facts` omitted when empty. */
export function adaptiveCardPayload(event: FluxEvent): string {
  const obj = objectLabel(event.involvedObject);
  const meta = event.metadata ?? {};
  const facts: { title: string; value: string }[] = [];
  if (Object.hasOwn(meta, 'summary')) facts.push({ title: 'summary', value: meta.summary! });
  for (const [title, value] of Object.entries(meta)
    .filter(([k]) => k !== 'summary')
    .sort((a, b) => compareBytes(a[0], b[0]))) {
    facts.push({ title, value });
  }
  return goJson({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'Container',
              items: [
                { type: 'TextBlock', text: obj, size: 'large', weight: 'bolder', wrap: true },
                {
                  type: 'TextBlock',
                  // omitempty fields, as Go drops them
                  text: event.message || undefined,
                  color: event.severity === 'error' ? 'attention' : undefined,
                  wrap: true,
                },
                { type: 'FactSet', facts: facts.length > 0 ? facts : undefined },
              ],
            },
          ],
          msteams: { width: 'Full' },
        },
      },
    ],
  });
}

/** The `msteams` provider. */
export const msteams = defineNotifier({
  id: 'msteams',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'MS Teams webhook');
    return {};
  },
  create: (options, ctx) => {
    const schema = teamsSchema(options.address);
    return {
      async post(event, { signal } = {}) {
        const body = schema === 'message-card' ? messageCardPayload(event) : adaptiveCardPayload(event);
        return postJson(ctx, options.address, body, signal);
      },
    };
  },
});
