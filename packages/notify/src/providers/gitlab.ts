/**
 * `gitlab`: a commit status on GitLab (subgroups allowed). Lists the commit's statuses with our
 * name first and skips the write when an identical one exists.
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import { SKIPPED_PROGRESSING, createStatusIdResolver, stateOf, statusInputs } from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createGitLabClient, parseGitLabOptions } from '../forge/gitlab.js';
import { list, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** Whether any listed status has the same sha, status, description and name. */
export function isDuplicateGitLabStatus(
  statuses: readonly unknown[],
  status: {
    readonly sha: string;
    readonly status: string;
    readonly description: string;
    readonly name: string;
  },
): boolean {
  return statuses.some(
    (s) =>
      (str(s, 'sha') ?? '') === status.sha &&
      (str(s, 'status') ?? '') === status.status &&
      (str(s, 'description') ?? '') === status.description &&
      (str(s, 'name') ?? '') === status.name,
  );
}

/** The `gitlab` commit-status provider. */
export const gitlab = defineNotifier({
  id: 'gitlab',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: false, tls: true, headers: false },
  parse: (config, problems) => ({ gitlab: parseGitLabOptions(config, problems) }),
  create: (options, ctx) => {
    const client = createGitLabClient(options.gitlab, ctx);
    const resolveId = createStatusIdResolver(options, ctx.scope);
    const project = `${options.gitlab.apiBase}projects/${options.gitlab.projectId}`;
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope);
        if (!inputs) return SKIPPED_PROGRESSING;
        const state = stateOf(
          event,
          { info: 'success', error: 'failed' },
          ctx.scope,
          "can't convert to gitlab state",
        );
        const listed = await client.request(
          {
            method: 'GET',
            url: `${project}/repository/commits/${inputs.sha}/statuses?name=${encodeURIComponent(inputs.id)}`,
            what: 'unable to list commit status',
          },
          signal,
        );
        const candidate = {
          sha: inputs.sha,
          status: state,
          description: inputs.description,
          name: inputs.id,
        };
        if (isDuplicateGitLabStatus(list(listed.json), candidate)) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        await client.request(
          {
            method: 'POST',
            url: `${project}/statuses/${inputs.sha}`,
            body: goJson({ state, name: inputs.id, description: inputs.description }),
            what: 'could not create commit status',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
