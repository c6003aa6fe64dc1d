/**
 * `githubdispatch`: a `repository_dispatch` webhook on GitHub whose `client_payload` is the event.
 *
 * @packageDocumentation
 */
import { encodeEvent, goString } from '../event.js';
import { createGitHubSession, parseGitHubOptions } from '../forge/github.js';
import { defineNotifier } from '../provider.js';
import type { FluxEvent } from '../types.js';

/**
 * The dispatch body: `{"event_type":"<Kind>/<name>.<namespace>","client_payload":<event JSON>}`
 * with the event bytes exactly as Flux encodes them, plus go-github's trailing newline.
 */
export function githubDispatchBody(event: FluxEvent): string {
  const ref = event.involvedObject;
  const eventType = `${ref.kind}/${ref.name}.${ref.namespace ?? ''}`;
  // go-github encodes with SetEscapeHTML(false); the raw event bytes are copied as they are.
  const type = goString(eventType)
    .replace(/\\u003c/g, '<')
    .replace(/\\u003e/g, '>')
    .replace(/\\u0026/g, '&');
  return `{"event_type":${type},"client_payload":${encodeEvent(event)}}\n`;
}

/** The `githubdispatch` provider. */
export const githubdispatch = defineNotifier({
  id: 'githubdispatch',
  capabilities: { transport: 'http', gate: 'default', proxy: false, tls: true, headers: false },
  secretFields: ['githubAppPrivateKey'],
  parse: (config, problems) => ({ github: parseGitHubOptions(config, problems) }),
  create: (options, ctx) => {
    const session = createGitHubSession(options.github, ctx);
    return {
      async post(event, { signal } = {}) {
        const client = await session.client(signal);
        await client.request(
          {
            method: 'POST',
            url: `${session.repoUrl}dispatches`,
            body: githubDispatchBody(event),
            what: 'could not send github repository dispatch webhook',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
