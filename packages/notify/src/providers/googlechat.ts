/**
 * `googlechat`: a Google Chat card (the legacy `cards` format) with explicit `null`s, as Flux
 * sends them. Proxy yes, TLS no.
 *
 * @packageDocumentation
 */
import { goJson, objectLabel, sortedEntries } from '../event.js';
import { defineNotifier, postJson, requireUrl } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The Google Chat payload (metadata widgets in key order; Flux's order is random). */
export function googleChatPayload(event: FluxEvent): string {
  const text = event.severity === 'error' ? `<font color="#ff0000">${event.message}</font>` : event.message;
  const sections: unknown[] = [{ header: '', widgets: [{ textParagraph: { text }, keyValue: null }] }];
  const meta = sortedEntries(event.metadata);
  if (meta.length > 0) {
    sections.push({
      header: '',
      widgets: meta.map(([topLabel, content]) => ({
        textParagraph: null,
        keyValue: { topLabel, content, contentMultiline: false, bottomLabel: null, icon: null },
      })),
    });
  }
  return goJson({
    cards: [
      {
        header: {
          title: objectLabel(event.involvedObject),
          subtitle: event.reportingController,
          imageUrl: null,
          imageStyle: null,
        },
        sections,
      },
    ],
  });
}

/** The `googlechat` provider. */
export const googlechat = defineNotifier({
  id: 'googlechat',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: false, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Google Chat hook');
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      return postJson(ctx, options.address, googleChatPayload(event), signal);
    },
  }),
});
