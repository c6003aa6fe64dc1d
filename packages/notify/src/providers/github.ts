/**
 * `github`: a commit status on GitHub or GitHub Enterprise. Lists the commit's statuses first and
 * skips the write when the newest status with the same context already has the same state and
 * description.
 *
 * @packageDocumentation
 */
import {
  SKIPPED_PROGRESSING,
  createStatusIdResolver,
  encoderJson,
  stateOf,
  statusInputs,
} from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createGitHubSession, parseGitHubOptions } from '../forge/github.js';
import { list, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** Whether GitHub already shows this status: the first listed status with our context decides. */
export function isDuplicateGitHubStatus(
  statuses: readonly unknown[],
  status: { readonly state: string; readonly description: string; readonly context: string },
): boolean {
  for (const s of statuses) {
    const context = str(s, 'context');
    const state = str(s, 'state');
    const description = str(s, 'description');
    if (context === undefined || state === undefined || description === undefined) continue;
    if (context === status.context) return state === status.state && description === status.description;
  }
  return false;
}

/** The `github` commit-status provider. */
export const github = defineNotifier({
  id: 'github',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: false, tls: true, headers: false },
  secretFields: ['githubAppPrivateKey'],
  parse: (config, problems) => ({ github: parseGitHubOptions(config, problems) }),
  create: (options, ctx) => {
    const session = createGitHubSession(options.github, ctx);
    const resolveId = createStatusIdResolver(options, ctx.scope);
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope);
        if (!inputs) return SKIPPED_PROGRESSING;
        const state = stateOf(
          event,
          { info: 'success', error: 'failure' },
          ctx.scope,
          "can't convert to github state",
        );
        const status = { state, description: inputs.description, context: inputs.id };
        const client = await session.client(signal);
        const listed = await client.request(
          {
            method: 'GET',
            url: `${session.repoUrl}commits/${inputs.sha}/statuses?per_page=50`,
            what: 'could not list commit statuses',
          },
          signal,
        );
        if (isDuplicateGitHubStatus(list(listed.json), status)) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        await client.request(
          {
            method: 'POST',
            url: `${session.repoUrl}statuses/${inputs.sha}`,
            body: encoderJson(status),
            what: 'could not create commit status',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
