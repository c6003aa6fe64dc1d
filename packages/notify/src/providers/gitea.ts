/**
 * `gitea`: a commit status on Gitea/Forgejo. Unlike the other forges, `Progressing` events are
 * posted as `pending`.
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import { createStatusIdResolver, stateOf, statusInputs } from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createGiteaSession, parseGiteaOptions } from '../forge/gitea.js';
import { list, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** Whether Gitea already shows this status (the first non-empty status with our context decides). */
export function isDuplicateGiteaStatus(
  statuses: readonly unknown[],
  status: { readonly state: string; readonly description: string; readonly context: string },
): boolean {
  for (const s of statuses) {
    // Gitea answers `status` in older versions and `state` in the SDK's model.
    const state = str(s, 'status') ?? str(s, 'state') ?? '';
    const context = str(s, 'context') ?? '';
    const description = str(s, 'description') ?? '';
    if (context === '' || state === '' || description === '') continue;
    if (context === status.context) return state === status.state && description === status.description;
  }
  return false;
}

/** The `gitea` commit-status provider. */
export const gitea = defineNotifier({
  id: 'gitea',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: true, tls: true, headers: false },
  parse: (config, problems) => ({ gitea: parseGiteaOptions(config, problems) }),
  create: (options, ctx) => {
    const session = createGiteaSession(options.gitea, ctx);
    const resolveId = createStatusIdResolver(options, ctx.scope);
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope, true);
        if (!inputs) return { skipped: true };
        const state =
          event.reason === 'Progressing'
            ? 'pending'
            : stateOf(
                event,
                { info: 'success', error: 'failure' },
                ctx.scope,
                "can't convert to gitea state",
              );
        const client = await session.client(signal);
        const listed = await client.request(
          {
            method: 'GET',
            url: `${session.repoUrl}commits/${inputs.sha}/statuses?limit=50&page=1`,
            what: 'could not list commit statuses',
          },
          signal,
        );
        const status = { state, description: inputs.description, context: inputs.id };
        if (isDuplicateGiteaStatus(list(listed.json), status)) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        await client.request(
          {
            method: 'POST',
            url: `${session.repoUrl}statuses/${inputs.sha}`,
            body: goJson({ state, target_url: '', description: inputs.description, context: inputs.id }),
            what: 'could not create commit status',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
